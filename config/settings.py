"""Settings for every environment, read from environment variables in one place.

Quickstart (``bin/run`` and ``manage.py`` default DEBUG on): SQLite in ``var/``, kombu's
filesystem broker, local-memory cache, console e-mail. Production (``DEBUG`` unset or 0, the
default of the web server's config.wsgi): ``SECRET_KEY`` and ``ALLOWED_HOSTS`` required,
HTTPS-only cookies and HSTS, so ``DEBUG=0 manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# No default secret outside DEBUG: production must fail loudly rather than sign sessions
# with a key that is in the repository.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's own widget templates, so the project's templates/django/forms/ can override some.
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    # Sign-in throttling (failed attempts per account and address) and the idle sign-out hook.
    "axes",
    "config.security.SecurityConfig",
    # Our apps, lowest first: a lower app never imports a higher one.
    "outbox",
    "audit",
    "people",
    "cases",
    "escalations",
    "compliance",
    "knowledge",
    "painpoints",
    "metrics",
    # The API's plumbing, intake from other systems and outgoing webhooks sit above the rest.
    "api",
    "intake",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (policy below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: every view needs a logged-in user unless it opts out explicitly.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends idle sessions before any view runs (after messages, so it can say why).
    "config.security.IdleSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "people.middleware.UserTimezoneMiddleware",
    # Dashboards and exports read from the replica when there is one (after sign-in is decided).
    "config.db_router.ReplicaReadsMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "people.context_processors.navigation",
            ],
        },
    },
]
# Widgets render through the project's template engine, so templates/django/forms/widgets/
# can replace Django's select template: it includes a sub-template per <option>, which made
# the queue filters' long selects (assignees, jurisdictions) the slowest part of a page.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -----------------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    # Persistent connections, checked before each request reuses one: after a database restart
    # the first request reconnects instead of failing on a dead socket, with no app restart.
    # A short connect timeout turns an unreachable server into a quick 503 (config.resilience),
    # not a request that hangs.
    _db_options = {
        "conn_max_age": int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        "conn_health_checks": True,
    }
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], **_db_options)}
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
    # PostgreSQL session settings for a desk whose working set is in memory (or on SSD): no JIT,
    # whose compile time (tens of ms) dwarfs what these short queries run for and which one
    # over-estimated row count is enough to set off (it was most of the case page at a million
    # cases); and random reads priced close to sequential ones, so the planner walks the indexes
    # the pages are built on. DATABASE_SESSION_OPTIONS replaces them ("" for the server's own).
    _session_options = os.environ.get("DATABASE_SESSION_OPTIONS", "-c jit=off -c random_page_cost=1.1")
    if _session_options and "postgresql" in DATABASES["default"]["ENGINE"]:
        DATABASES["default"]["OPTIONS"].setdefault("options", _session_options)
    # A read replica for dashboards, drill-downs and exports (config.db_router); without one
    # those reads go to the primary like everything else.
    if os.environ.get("DATABASE_REPLICA_URL"):
        DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], **_db_options)
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", DATABASES["default"]["OPTIONS"]["connect_timeout"]
        )
        if _session_options and "postgresql" in DATABASES["replica"]["ENGINE"]:
            DATABASES["replica"]["OPTIONS"].setdefault("options", _session_options)
        # Tests create no second database: the replica alias reads the test database.
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "escalation_desk.sqlite3",
            # The web process, the worker and beat share one SQLite file: WAL lets readers
            # run beside a writer, IMMEDIATE takes the write lock up front so two writers
            # queue on the busy timeout instead of failing with "database is locked".
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]

# --- Cache, broker ------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # The cache only speeds things up: with Redis down it answers "not cached" and drops
    # writes (config.cache), and gives up on a connection within a second.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # Publishing must never hold a request: one quick retry, a one-second connect timeout. Work
    # goes through the outbox (outbox.services), so a publish that fails is sent later.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
        "socket_connect_timeout": 1,
        # Longer than any task takes, so a long sweep is not handed to a second worker while
        # it runs; a task whose worker died is handed out again after this long (the outbox
        # and the periodic sweeps catch up sooner). Delayed work waits in the outbox, not in
        # Redis, so no task sits unacknowledged for longer.
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = 2
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "processed_folder": str(broker_dir / "processed"),
        "store_processed": False,
        # Exchange tables (used by `celery inspect` / remote control) live beside the queue,
        # not in whatever directory each process happened to start in.
        "control_folder": str(broker_dir / "control"),
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Tasks are idempotent, so a redelivery after a crash is safe (on Redis; the embedded
# filesystem broker has no redelivery, which is acceptable for a single-machine quickstart).
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_TASK_DEFAULT_QUEUE = "default"
# Workers keep reconnecting while the broker is down (rather than exiting after 100 tries).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_ROUTES = {
    # The relay only publishes; on the SLA queue it is never stuck behind an import or mail.
    "outbox.tasks.*": {"queue": "sla"},
    "cases.tasks.*": {"queue": "sla"},
    # Mail can be slow or down; it must never hold up the SLA sweep.
    "people.tasks.send_notification_emails": {"queue": "notifications"},
    "escalations.tasks.*": {"queue": "sla"},
    "compliance.tasks.*": {"queue": "sla"},
    "cases.routing_tasks.*": {"queue": "routing"},
    "knowledge.tasks.*": {"queue": "default"},
    # Survey mail goes with the other mail; dashboard facts are background work.
    "metrics.tasks.send_csat_survey": {"queue": "notifications"},
    "metrics.tasks.facts_*": {"queue": "default"},
    # Outgoing HTTP, slow or failing receivers included: kept off the SLA and routing queues.
    "webhooks.tasks.*": {"queue": "notifications"},
    "intake.tasks.*": {"queue": "default"},
}
# The outbox (outbox.services): tasks asked for by committed changes wait here while the
# broker is down; the relay hands them over every RELAY_SECONDS.
OUTBOX = {
    "RELAY_SECONDS": float(os.environ.get("OUTBOX_RELAY_SECONDS", "10")),
    # Handed to the broker this long ago and still not run: the broker lost it, send it again.
    "REDELIVER_AFTER_MINUTES": int(os.environ.get("OUTBOX_REDELIVER_AFTER_MINUTES", "15")),
    "KEEP_DONE_DAYS": 2,
    # After a failed publish, a web process leaves the broker alone for this long.
    "BROKER_PAUSE_SECONDS": 5,
}
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {
        "task": "outbox.tasks.outbox_relay_task",
        "schedule": timedelta(seconds=OUTBOX["RELAY_SECONDS"]),
        "options": {"expires": max(OUTBOX["RELAY_SECONDS"], 5)},
    },
    # Reminders to acknowledge SOP versions: at most one a day per person and version (the
    # unique reminder row), so an hourly run only reaches people who became due since.
    "knowledge-ack-reminders": {
        "task": "knowledge.tasks.ack_reminders_task",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # Last week's QA sample per agent; a run after the first in a week draws nothing.
    "knowledge-qa-sample": {
        "task": "knowledge.tasks.qa_sample_task",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3600},
    },
    # Warns and breaches SLA timers that came due; set-based and idempotent, so a run every
    # minute costs only the timers due. A run still queued after a minute is dropped: the
    # next one does the same work.
    "sla-sweep": {
        "task": "cases.tasks.sla_sweep_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # The receiving teams' response clocks on escalations, same shape as the SLA sweep.
    "escalation-ola-sweep": {
        "task": "escalations.tasks.escalation_ola_sweep_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # Regulatory deadlines: a warning a day ahead and the breach, same shape as the SLA sweep.
    "obligation-sweep": {
        "task": "compliance.tasks.obligation_sweep_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # Routes open, unassigned cases nobody routed lately (lost tasks, cases waiting for a
    # shift to start); set-based and idempotent, so a dropped run costs nothing.
    "routing-catch-up": {
        "task": "cases.routing_tasks.route_catch_up_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # Closes resolved cases whose reopen window has passed; cheap (partial index on
    # resolved cases), so it runs often and a missed run costs nothing.
    "close-resolved-after-reopen-window": {
        "task": "cases.tasks.close_expired_resolved_cases",
        "schedule": timedelta(minutes=5),
    },
    # Webhook deliveries whose retry is due but whose task was lost; partial index, cheap.
    "webhooks-retry-sweep": {
        "task": "webhooks.tasks.webhook_retry_sweep_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # Dashboard facts of cases changed since the last run (replies, escalations, flags, timers);
    # idempotent, so a dropped run is caught up by the next.
    "metrics-facts-sweep": {
        "task": "metrics.tasks.facts_sweep_task",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes checks every sign-in first and refuses it while locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After AXES_FAILURE_LIMIT failed sign-ins for one username from one address, that pair is locked
# out for AXES_COOLOFF_TIME (per pair, so a guesser cannot lock a colleague out from elsewhere).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.login_locked_out"
# Lockouts are still logged as warnings; verbose mode only adds a start-up banner (printed by
# every manage.py command, verify_audit_chain's report included) and more detail per attempt.
AXES_VERBOSE = False
# The client address is REMOTE_ADDR unless TRUSTED_PROXY_COUNT says how many proxies of ours
# append to X-Forwarded-For: only then is that header read, counted from the right, so a
# client cannot dodge the lockout by sending a made-up address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Sessions: signed out after SESSION_IDLE_MINUTES without a request (config.security), at the
# latest after SESSION_MAX_HOURS, and when the browser closes.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_MAX_HOURS", "10")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N / time --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------------------
STATIC_URL = "static/"
# Uploaded ID documents; in production a volume only the web and worker processes can read.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # ID documents: outside the web root and never given a URL (no base_url, no URL pattern,
    # not under STATIC_ROOT); the access-checked download view is the only way out.
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None, "file_permissions_mode": 0o600},
    },
}

# --- Mail ---------------------------------------------------------------------------------
# Console in DEBUG (the quickstart prints mail to the worker log); SMTP from EMAIL_* otherwise.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Escalation Desk <desk@localhost>")
# Links in e-mailed notifications are made absolute with this (mail has no request to ask).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy (django-csp): everything from this origin, no inline or eval'd script,
# no plugins, no framing, forms post only here. Inline style *attributes* stay allowed (a few
# templates use them for layout; they cannot run script), <style> elements do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Health checks come from inside the network over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    # Tokens for integrations and scripts; the browser's session (with CSRF) for people.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    # orjson: the same JSON as DRF's renderer, written several times faster (api.renderers).
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.OrjsonRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_THROTTLE_RATE", "1200/min")},
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
}
# Request bodies larger than this answer 413 (the API's JSON parser enforces it).
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(256 * 1024)))
SPECTACULAR_SETTINGS = {
    "TITLE": "Escalation Desk API",
    "DESCRIPTION": (
        "Cases, escalations, regulatory flags, obligations, SLA timers, intake and dashboard figures. "
        'Authenticate with `Authorization: Bearer <token>`. Every error is `{"error": code, "detail": ...}`. '
        "Writes accept `If-Match` with the ETag of the version they are based on (412 when stale)."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from drf-spectacular-sidecar through our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set shared by several endpoints.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.choices.Status",
        "EscalationStatusEnum": "escalations.choices.EscalationStatus",
        "FlagStatusEnum": "compliance.choices.FlagStatus",
        "FlagKindEnum": "compliance.choices.FlagKind",
        "EventKindEnum": "cases.choices.EventKind",
    },
}
# Webhook deliveries: retried with exponential backoff (base * 2**attempt seconds) this many times.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_SECONDS", "30"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# The CFPB import acts as this service account (see README, API section).
CFPB_IMPORT_USERNAME = os.environ.get("CFPB_IMPORT_USERNAME", "cfpb-intake")

# --- Product settings ---------------------------------------------------------------------
# A resolved case may be reopened for this long; then the beat sweep closes it.
CASE_REOPEN_WINDOW = timedelta(days=int(os.environ.get("CASE_REOPEN_WINDOW_DAYS", "7")))
CASE_QUEUE_PAGE_SIZE = 50
# A PII reveal shows the field in full for this long (then it is masked again).
PII_REVEAL_MINUTES = int(os.environ.get("PII_REVEAL_MINUTES", "10"))
# ID documents: the largest upload accepted, and the case categories that take them.
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_MB", "10")) * 1024 * 1024
ID_DOCUMENT_CATEGORIES = ("kyc",)
# CSAT survey: e-mailed this long after a case is resolved; its link works once, for this many days.
CSAT_SURVEY = {
    "DELAY_MINUTES": int(os.environ.get("CSAT_SURVEY_DELAY_MINUTES", "60")),
    "LINK_MAX_AGE_DAYS": int(os.environ.get("CSAT_SURVEY_LINK_DAYS", "14")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
