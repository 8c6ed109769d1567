"""Settings for Klyngeplan.

Every setting reads the environment with an embedded default, so that a fresh clone runs with
no configuration at all: SQLite in the project folder, debug on, Celery tasks in-process.
Set DJANGO_ENV=production (as docker-compose.yml does) and the defaults stop being lenient:
SECRET_KEY and ALLOWED_HOSTS must then be given.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.str("DJANGO_ENV", default="development") == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEV_SECRET_KEY)
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "simple_history",
    "accounts",
    "municipalities",
    "clusters",
    "practices",
    "allocation",
    "reports",
    "imports",
]

MIDDLEWARE = [
    # /healthz answers before anything else: liveness needs no host check, no database
    "config.health.LivenessMiddleware",
    "config.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "reports.middleware.DanishFirstMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # the history of practices and doctors records who made a change in a request
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.context.data_status_context",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL names another database (PostgreSQL in
# production and CI, through psycopg 3).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# The tests' database (default: "test_" + the name); with pytest --reuse-db an existing one
# is used as it is, for a role that may not create databases.
if _test_db_name := env.str("DATABASE_TEST_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": _test_db_name}
# Persistent connections, checked before reuse: a request does not pay for a new one (and a
# connection the database dropped is replaced, not failed on).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# On PostgreSQL, web requests (config/wsgi.py) give up on a statement after this many
# milliseconds and on waiting for a lock after DB_LOCK_TIMEOUT: one stuck lock then costs
# one request a few seconds instead of holding every worker. The worker, beat, imports and
# migrations do long work and are not limited. 0 turns a limit off.
DB_STATEMENT_TIMEOUT = env.int("DB_STATEMENT_TIMEOUT", default=30_000)
DB_LOCK_TIMEOUT = env.int("DB_LOCK_TIMEOUT", default=5_000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Seconds a call to Redis may take before the cache answers from its local fallback and the
# broker gives up on a publish: short, so an outage costs little (config/cache.py).
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache that answers from a per-process cache while Redis is away:
            # reads, throttling and login counts keep working through an outage.
            "BACKEND": "config.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "RETRY_AFTER": env.float("REDIS_RETRY_AFTER", default=5.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without a broker, tasks run in-process so the quick start needs no server.
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Results are only kept for the chunks of a split sensitivity analysis (a chord needs them).
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker logs through LOGGING below (JSON in production), not through its own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_TIMEZONE = "Europe/Copenhagen"
# A computing task writes a heartbeat on its run this often (a thread beside the work).
RUN_HEARTBEAT_EVERY = env.int("RUN_HEARTBEAT_EVERY", default=10)
# A run whose heartbeat is older than this is taken for lost (its worker was killed): the
# beat job ``sweep_runs`` dispatches it once more, and fails it with a reason the next time.
RUN_STALE_AFTER = env.int("RUN_STALE_AFTER", default=180)
if RUN_STALE_AFTER < 3 * RUN_HEARTBEAT_EVERY:
    raise ImproperlyConfigured("RUN_STALE_AFTER must be at least 3 heartbeats long.")
# Redis hands an unacknowledged message to another worker after this long: the same bound,
# so a whole worker killed mid-run is noticed within minutes, not hours. A task still at
# work when its message comes back is not started twice: its fresh heartbeat shows it is
# alive (allocation.services.claim_run), and the copy waits for it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": RUN_STALE_AFTER,
    "socket_connect_timeout": max(REDIS_SOCKET_TIMEOUT, 1.0),
    "socket_timeout": max(4 * REDIS_SOCKET_TIMEOUT, 2.0),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": RUN_STALE_AFTER}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = max(REDIS_SOCKET_TIMEOUT, 1.0)
CELERY_REDIS_SOCKET_TIMEOUT = max(4 * REDIS_SOCKET_TIMEOUT, 2.0)
# A publish while the broker is down gives up after one quick retry: the run request then
# answers 503 at once and the run is dispatched by ``sweep_runs`` when the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = max(REDIS_SOCKET_TIMEOUT, 1.0)
# Draws per sensitivity chunk: more draws than this are split across workers.
SENSITIVITY_CHUNK = env.int("SENSITIVITY_CHUNK", default=2000)
CELERY_BEAT_SCHEDULE = {
    "rerun-changed-shared-scenarios": {
        "task": "allocation.tasks.nightly_rerun",
        "schedule": crontab(hour=2, minute=30),
    },
    # Dispatch runs the broker refused, re-dispatch lost ones once, fail them after that.
    "sweep-runs": {
        "task": "allocation.tasks.sweep_runs",
        "schedule": float(env.int("RUN_SWEEP_EVERY", default=30)),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Failed logins (accounts/lockout.py): a username is locked for the window after this many
# failures within it, even with the right password; an address after its (generous) count.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend"]
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=15 * 60)
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=10)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=100)
# Trusted proxies in front of the app: 0 takes the client address from REMOTE_ADDR and
# ignores X-Forwarded-For (which any client can make up); 1 behind one reverse proxy.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- REST API: DRF, knox tokens, OpenAPI docs served offline ------------------------------
# Clients send `Authorization: Token <token>` (knox: stored hashed, expiring); the pages use
# their session. Token first, so an anonymous API call answers 401 with WWW-Authenticate.
INSTALLED_APPS += ["knox", "drf_spectacular", "drf_spectacular_sidecar", "django_filters", "api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",  # knox's, cleaning up more cheaply
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reading needs a role (accounts.policies.can_read); views add the object-level rules.
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.CanRead"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "api.renderers.CSVRenderer",  # ?format=csv
        "api.renderers.DanishCSVRenderer",  # ?format=csv-da: ";" and decimal comma, for Excel
        "api.renderers.XLSXRenderer",  # ?format=xlsx
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserThrottle", "api.throttling.TokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="1200/min"),  # all of a user's requests
        "token": env.str("API_THROTTLE_TOKEN", default="600/min"),  # each token on its own
        # every attempt, per client address: a flood guard that many users behind one NAT
        # stay under; guessing is stopped by the failure counts (accounts/lockout.py)
        "login": env.str("API_THROTTLE_LOGIN", default="120/min"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Klyngeplan API",
    "DESCRIPTION": (
        "Allocation of Denmark's 1,500 extra GP capacities toward 2035: reference data, "
        "scenarios, runs and their results. JSON by default; `?format=csv` for CSV and "
        "`?format=csv-da` for Danish Excel (semicolon-separated, decimal comma, UTF-8 BOM)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.csv_as_text",
        "api.examples.add_examples",  # an example for every JSON body without one
        "api.schema.unsupported_media_type",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "allocation.models.RunStatus",
        "ScenarioStatusEnum": "allocation.models.ScenarioStatus",
        "DataStatusEnum": "municipalities.models.DataStatus",
    },
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # no validator badge: Swagger UI would send the schema to validator.swagger.io
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    # the sidecar's Redoc without its CDN logo (api/docs.py)
    "REDOC_DIST": "/api/redoc-dist",
}
# --- end of REST API settings -------------------------------------------------------------

# Content-Security-Policy (django-csp): everything from this origin, nothing inline for
# scripts (the pages' behaviour lives in static/js/klyngeplan.js; figures travel as JSON data
# blocks). Styles allow 'unsafe-inline': plotly.js and Redoc insert <style> elements and style
# attributes as they draw. Images also from data: and blob: (Plotly's icons and downloads),
# workers from blob: (Redoc's search).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
CSRF_FAILURE_VIEW = "api.exceptions.csrf_failure"  # JSON under /api/, Django's page elsewhere

# Production expects HTTPS. Where TLS ends at a proxy, the proxy sets X-Forwarded-Proto and
# SECURE_PROXY_SSL_HEADER names it (empty: trust no header); SECURE_SSL_REDIRECT=false and
# SECURE_HSTS_SECONDS=0 relax the redirect and HSTS for a deployment that cannot have them.
if PRODUCTION:
    _proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO")
    SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # readiness probes speak plain HTTP inside the stack (/healthz is answered earlier)
    SECURE_REDIRECT_EXEMPT = [r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# JSON lines with a request id in production (config/logs.py), plain text on a laptop;
# LOG_FORMAT=json|text chooses. Task return values are summarised, never logged whole.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.logs.RequestIdFilter"},
        "task_result": {"()": "config.logs.TaskResultFilter"},
    },
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "task_result"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"celery.app.trace": {"filters": ["task_result"]}},
}

# Errors to Sentry when SENTRY_DSN is set (the sentry extra: pip install ".[sentry]"); the
# SDK is imported only then, so a deployment without it needs nothing installed.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production" if PRODUCTION else "dev"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )
