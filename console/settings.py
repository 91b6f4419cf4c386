"""Kordon's one settings module, driven by environment variables (see README and .env.example)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from console.env import env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KORDON_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
LOCAL_MODE = not DATABASE_URL

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = os.environ.get("SECRET_KEY") or ("dev-only-not-secret" if LOCAL_MODE else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set")

# Keyed hashes of API keys use a pepper kept apart from SECRET_KEY, so rotating one does not
# silently invalidate the other. Local mode derives a fixed development pepper.
KORDON_KEY_PEPPER = os.environ.get("KORDON_KEY_PEPPER") or ("dev-only-pepper" if LOCAL_MODE else "")
if not KORDON_KEY_PEPPER:
    raise ImproperlyConfigured("KORDON_KEY_PEPPER must be set when DATABASE_URL is set")
# Per-deployment key for the `hash` masking action and for hashing end-user ids in the audit.
KORDON_HASH_KEY = os.environ.get("KORDON_HASH_KEY") or ("dev-only-hash-key" if LOCAL_MODE else "")
if not KORDON_HASH_KEY:
    raise ImproperlyConfigured("KORDON_HASH_KEY must be set when DATABASE_URL is set")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "console",
    "keys",
    "routing",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "console.urls"
ASGI_APPLICATION = "console.asgi.application"

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
            ],
        },
    }
]

if LOCAL_MODE:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # WAL lets the console read while the proxy writes audit records. IMMEDIATE: an
            # atomic block takes the write lock up front (waiting up to `timeout`), so a service
            # that reads then writes never fails with "database is locked" when another process
            # wrote in between (a deferred transaction cannot upgrade a stale WAL snapshot).
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL;",
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
            # A file (not in-memory) test database, so the proxy tests' live server process
            # shares it; per pid so parallel test runs in one work tree do not collide.
            "TEST": {"NAME": VAR_DIR / f"test-{os.getpid()}.sqlite3"},
        }
    }
else:  # ASGI: no persistent connections per thread; psycopg's pool instead
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("KORDON_DB_POOL_SIZE", default=10, minimum=1),
        "timeout": 10,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("KORDON_SECURE_COOKIES", default=not LOCAL_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
KORDON_SERVE_STATIC = env_bool("KORDON_SERVE_STATIC", default=True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "console.authentication.AdminTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
# Console login throttling: this many failures per username and client address lock that pair
# out for the window (cache-backed: Redis when configured).
KORDON_LOGIN_MAX_FAILURES = env_int("KORDON_LOGIN_MAX_FAILURES", default=5, minimum=1)
KORDON_LOGIN_LOCKOUT_SECONDS = env_int("KORDON_LOGIN_LOCKOUT_SECONDS", default=900, minimum=1)
SPECTACULAR_SETTINGS = {
    "TITLE": "Kordon management API",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # no broker: run tasks inline
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# Proxy and gateway knobs.
KORDON_MAX_BODY_BYTES = env_int("KORDON_MAX_BODY_BYTES", default=1_048_576, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = KORDON_MAX_BODY_BYTES
# The console's and management API's whole request body (a policy document uploaded as a file
# included); larger bodies get 413 before they are read (console/body_limit.py).
KORDON_CONSOLE_MAX_BODY_BYTES = env_int(
    "KORDON_CONSOLE_MAX_BODY_BYTES", default=10_485_760, minimum=65536
)
# Audit records are inserted before anything is forwarded. On (default): each insert is flushed
# to disk before the request goes on (one fsync per request). Off: the insert is committed and
# visible first, the disk flush follows within a fraction of a second (PostgreSQL
# synchronous_commit=off, SQLite synchronous=NORMAL); a database crash may lose that fraction.
KORDON_AUDIT_SYNC_COMMIT = env_bool("KORDON_AUDIT_SYNC_COMMIT", default=True)
# Extra CA certificates (PEM) trusted for https:// backends besides the public roots: an
# in-country model server behind the organisation's own CA (routing/backend_tls.py).
KORDON_BACKEND_CA_FILE = os.environ.get("KORDON_BACKEND_CA_FILE", "")
if KORDON_BACKEND_CA_FILE:
    try:
        ssl.create_default_context(cafile=KORDON_BACKEND_CA_FILE)
    except (OSError, ssl.SSLError) as error:
        raise ImproperlyConfigured(
            f"KORDON_BACKEND_CA_FILE: no PEM certificates could be loaded ({type(error).__name__})"
        ) from None
KORDON_REQUIRE_SERVICES = env_bool("KORDON_REQUIRE_SERVICES", default=False)
KORDON_DEMO = env_bool("KORDON_DEMO", default=LOCAL_MODE)

# Audit trail (issue 5): retention, sealing, exports, alerts; the beat schedule runs the sealer.
KORDON_AUDIT_RETENTION_DAYS = env_int("KORDON_AUDIT_RETENTION_DAYS", default=365, minimum=1)
KORDON_AUDIT_OPEN_GRACE_SECONDS = env_int(
    "KORDON_AUDIT_OPEN_GRACE_SECONDS", default=600, minimum=60
)
KORDON_AUDIT_MAX_SEAL_LAG_SECONDS = env_int(
    "KORDON_AUDIT_MAX_SEAL_LAG_SECONDS", default=120, minimum=5
)
KORDON_AUDIT_EXPORT_INLINE_MAX = env_int("KORDON_AUDIT_EXPORT_INLINE_MAX", default=5000, minimum=0)
KORDON_ALERT_WEBHOOK_URL = os.environ.get("KORDON_ALERT_WEBHOOK_URL", "")
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "audit.tasks.audit_seal_task", "schedule": 5.0},
    "audit-rollup": {"task": "audit.tasks.audit_rollup_task", "schedule": 60.0},
    "audit-alerts": {"task": "audit.tasks.audit_alerts_task", "schedule": 300.0},
    "audit-verify": {"task": "audit.tasks.audit_verify_task", "schedule": 3600.0},
    "audit-retention": {"task": "audit.tasks.audit_purge_task", "schedule": 86400.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
