"""Settings for the test suite: the real ones, minus what only slows tests or needs HTTPS.

Tests run on PostgreSQL (constraints, locks and triggers are part of the design): the
machine's local server unless ``DATABASE_URL`` says otherwise.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/escdesk")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tests sign in once and then travel days ahead with time-machine; the idle sign-out and the
# session's maximum age would end those sessions. tests/security sets its own limits.
SESSION_IDLE_MINUTES = 60 * 24 * 365
SESSION_COOKIE_AGE = 60 * 60 * 24 * 365
