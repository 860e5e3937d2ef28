"""Settings for the load test's gunicorn and Celery worker: production settings over plain HTTP.

Production marks the session and CSRF cookies Secure, which a client speaking plain HTTP to
127.0.0.1 (as the load generator does; TLS ends at the load balancer in a deployment) would
never send back. Everything else is as deployed: DEBUG off, the same middleware and caches.
"""

import warnings

from config.settings import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The manifest storage needs collectstatic first; the simulated users fetch pages, not assets.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# WhiteNoise warns that collectstatic has not run.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
