"""Settings for the benchmark: production settings (DEBUG off) that a test client can drive.

DEBUG stays off because it changes what is measured (query logging, debug templates); HTTPS
redirects are off because the test client speaks plain HTTP to ``testserver``.
"""

import os
import warnings

os.environ["DEBUG"] = "0"
# Signs the benchmark's own throw-away sessions; never used anywhere else.
os.environ.setdefault("SECRET_KEY", "bench-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz")  # noqa: S105

from config.settings import *  # noqa: E402,F403

ALLOWED_HOSTS = ["testserver"]
SECURE_SSL_REDIRECT = False
# The manifest storage needs collectstatic first; page timings do not depend on it.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# WhiteNoise warns that collectstatic has not run; the pages measured serve no static files.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# The sweep enqueues e-mail copies after commit: keep them in this process, so a benchmark never
# fills a real broker (or the quickstart's broker folder) with mail about benchmark data.
CELERY_BROKER_URL = "memory://localhost/"
