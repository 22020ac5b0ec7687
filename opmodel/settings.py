"""OpModel settings: one file, every deploy-specific value from the environment.

See README.md ("Configuration") for the variables. Defaults suit `make run` on a
laptop, whose var/local.env (read by manage.py and `python -m opmodel`, never by this
module: opmodel/env.py) adds DEBUG=1 and a SECRET_KEY; production sets DEBUG=0 and a
real SECRET_KEY, and passes `python manage.py check --deploy` without warnings.
"""

from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from opmodel.env import env_bool, env_database, env_float, env_int, env_list, env_str, env_url, metrics_dir, var_dir
from opmodel.logs import LOG_FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state (SQLite file, on-disk broker, beat schedule, local.env): OPMODEL_VAR_DIR or ./var; ignored by git.
VAR_DIR = var_dir()
(VAR_DIR / "celery" / "queue").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only-key-never-use-in-production"  # noqa: S105
# The audit chain's HMAC key: a secret kept out of the database, so that whoever can write the audit
# table cannot recompute the chain after editing it. AUDIT_PREVIOUS_KEYS (comma-separated) still
# verify events signed before a rotation (README: Audit trail).
AUDIT_KEY = env_str("AUDIT_KEY")
if not AUDIT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("AUDIT_KEY must be set when DEBUG is off.")
    AUDIT_KEY = "local-development-only-audit-key-never-use-in-production"
AUDIT_PREVIOUS_KEYS = env_list("AUDIT_PREVIOUS_KEYS", [])
# Signed checkpoints of the chain's head, written once each, outside the database.
AUDIT_CHECKPOINT_DIR = Path(env_str("AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints")))
# Who receives the nightly verification with its checkpoint (besides the log).
AUDIT_EMAILS = env_list("AUDIT_EMAILS", [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Behind TLS every cookie is Secure and HTTP redirects to HTTPS. Local runs and
# the test suite speak plain HTTP, so they turn this off explicitly.
HTTPS_ONLY = env_bool("HTTPS_ONLY", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "governance",
    "initiatives",
    "kpis",
]

MIDDLEWARE = [
    # First, so every line logged while a request is handled carries its id (opmodel/logs.py).
    "opmodel.middleware.RequestIdMiddleware",
    # /healthz, /readyz and /metrics, before the Host check and the HTTPS redirect (opmodel/ops.py).
    "opmodel.ops.OpsEndpointsMiddleware",
    # django-prometheus times what is between its two halves: everything but the request id.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opmodel.api.ApiProblemMiddleware",
    "opmodel.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "opmodel.urls"
WSGI_APPLICATION = "opmodel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["initiatives.templatetags.opmodel"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.notifications",
            ],
        },
    },
]

# Seconds a process keeps its database connection between requests or tasks. A Celery worker keeps
# it for an hour (opmodel/__main__.py), so the scheduled recompute's plan is reused across runs.
DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web + worker processes on one SQLite file need WAL and a busy timeout.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
else:
    # The planner's price of a random page read against a sequential one; PostgreSQL's default of 4 is for
    # spinning disks. On SSDs or a database in memory, 1.1 (what most hosted PostgreSQL sets) lets a page
    # of 50 rows join its charters by index instead of reading all 2,000 of them.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={env_float('DATABASE_RANDOM_PAGE_COST', 1.1, minimum=0.1)}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A full ingest batch (10,000 items with long sources) is a few MB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (README: "Single sign-on"): off unless OIDC_ISSUER is set, so `make run`
# keeps its local logins. The provider's endpoints come from its discovery document, fetched on first use
# (never at import) and cached; governance/sso/ holds the rest of the configuration.
OIDC_ISSUER = env_str("OIDC_ISSUER").strip().rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID").strip()
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_SCOPES = " ".join(env_str("OIDC_SCOPES").replace(",", " ").split()) or "openid email profile"
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on").strip() or "single sign-on"
# A claim whose value (or one of whose values) names the portfolio-leadership group at the provider.
OIDC_LEADER_CLAIM = env_str("OIDC_LEADER_CLAIM").strip()
OIDC_LEADER_VALUE = env_str("OIDC_LEADER_VALUE").strip()
OIDC_DISABLE_PASSWORD_LOGIN = env_bool("OIDC_DISABLE_PASSWORD_LOGIN", False)
OIDC_TIMEOUT_SECONDS = env_int("OIDC_TIMEOUT_SECONDS", 5, minimum=1)
if OIDC_ISSUER:
    if not OIDC_ISSUER.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"OIDC_ISSUER must be an https:// URL; got {OIDC_ISSUER!r}.")
    for _name, _value in (("OIDC_CLIENT_ID", OIDC_CLIENT_ID), ("OIDC_CLIENT_SECRET", OIDC_CLIENT_SECRET)):
        if not _value:
            raise ImproperlyConfigured(f"{_name} must be set when OIDC_ISSUER is.")
    if "openid" not in OIDC_SCOPES.split():
        raise ImproperlyConfigured(f"OIDC_SCOPES must include openid; got {OIDC_SCOPES!r}.")
elif OIDC_DISABLE_PASSWORD_LOGIN:
    raise ImproperlyConfigured("OIDC_DISABLE_PASSWORD_LOGIN needs OIDC_ISSUER: nobody could sign in but superusers.")
if bool(OIDC_LEADER_CLAIM) != bool(OIDC_LEADER_VALUE):
    raise ImproperlyConfigured("OIDC_LEADER_CLAIM and OIDC_LEADER_VALUE are set together or not at all.")
# Passwords first (refused for non-superusers when OIDC_DISABLE_PASSWORD_LOGIN is on), then the sign-on callback's;
# each is inert when not its turn.
AUTHENTICATION_BACKENDS = ["governance.sso.backends.PasswordBackend", "governance.sso.backends.OidcBackend"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Collected at every start of `python -m opmodel web`, `make run`'s included (opmodel/__main__.py).
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names in DEBUG too, each with a Brotli and a gzip copy beside it (opmodel/staticfiles.py).
    "staticfiles": {"BACKEND": "opmodel.staticfiles.HashedCompressedStorage"},
}
# WhiteNoise serves the collected files alone, in DEBUG too: they change only when web restarts.
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
# Pages link hashed names only, so the plain copies are not kept (nor compressed); source maps,
# which only a browser's developer tools fetch, are kept uncompressed: half of Brotli's time.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "opmodel@localhost")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "opmodel.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "opmodel.api.problem_exception_handler",
    # One bucket per API token (per user for session callers), in the "throttle" cache below.
    "DEFAULT_THROTTLE_CLASSES": ["governance.authentication.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env_str("API_THROTTLE_RATE", "6000/minute")},
    "PAGE_SIZE": 50,
    # Accept NaN/Infinity literals so ingest can name the offending item instead of failing the parse.
    "STRICT_JSON": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpModel API",
    "DESCRIPTION": "AI initiative portfolio management: initiatives, roles, gate reviews and decisions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One tag per resource, named as in its path; each view declares its own (extend_schema(tags=...)).
    # This list orders the docs' sections and says what each holds.
    "TAGS": [
        {"name": "initiatives", "description": "Initiatives, their charter and their latest scorecard."},
        {"name": "roles", "description": "Who holds which role on an initiative."},
        {"name": "controls", "description": "An initiative's governance, data and architecture controls by layer."},
        {"name": "data-sources", "description": "The data an initiative depends on; shared between initiatives."},
        {"name": "risk", "description": "An initiative's risk tier and why."},
        {
            "name": "after-action-review",
            "description": "What work AI removed, what replaced it, what result followed, and the KPIs that show it.",
        },
        {"name": "reuse-review", "description": "An initiative's reuse review: its date and, once held, its outcome."},
        {"name": "gate-reviews", "description": "Gate reviews, their decisions, checklists and evidence."},
        {"name": "kpis", "description": "KPIs of the initiatives' outcome trees."},
        {"name": "measurements", "description": "KPI values: pushed in bulk, read per KPI."},
        {"name": "assets", "description": "The reusable-asset library, its versions and labels, and who uses what."},
        {"name": "label-requests", "description": "Label moves on security requirements awaiting approval."},
        {"name": "shadow-ai", "description": "Unsanctioned AI use and the sanctioned path that replaces it."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "opmodel.api.document_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "initiatives.models.Stage",
        "InitiativeStatusEnum": "initiatives.models.Initiative.Status",
        "GateReviewStatusEnum": "governance.models.GateReview.Status",
        "InitiativeControlStatusEnum": "governance.models.InitiativeControl.Status",
        "RiskTierEnum": "initiatives.models.Initiative.RiskTier",
        "GateEnum": "governance.models.Gate",
        "RoleEnum": "initiatives.models.Role",
        "HealthEnum": "kpis.models.Scorecard.Health",
        "CriterionStatusEnum": "governance.criteria.STATUS_CHOICES",
        "ShadowAiStatusEnum": "governance.models.ShadowAiUse.Status",
        "TelemetryLevelEnum": "kpis.serializers.LEVELS",
    },
}

# Celery: Redis in production and CI; an on-disk broker for `make run`, so a
# laptop needs no Redis. Tasks never need a result backend.
REDIS_URL = env_str("REDIS_URL")

# The API throttle's counters (governance.authentication.TokenRateThrottle): in Redis when there is
# one, so every web process counts against the same limit; else in each process. Short timeouts:
# the throttle lets requests through while Redis cannot be reached, and must find that out fast.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "opmodel",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    REDIS_URL or "filesystem://",
    schemes=("redis", "rediss", "amqp", "filesystem", "memory"),
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # A publish from a request (the webhook kick after a commit) fails within 2 s when Redis cannot be
    # reached, instead of waiting out the operating system's connect timeout (minutes).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - 30)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection around every task unless it may reuse it;
# opmodel/celery.py then handles it as Django does around a request (DATABASE_CONN_MAX_AGE, health
# checks) and drops it after a task that failed. At most this many tasks share one connection.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_TIMEZONE = "UTC"
REVIEW_REMINDER_EVERY_SECONDS = env_int("REVIEW_REMINDER_EVERY_SECONDS", 3600, minimum=1)
# Scorecards (README.md, "Scorecards"): status thresholds, value and failure-mode rules.
SCORECARD_RECOMPUTE_SECONDS = env_int("SCORECARD_RECOMPUTE_SECONDS", 300, minimum=1)
SCORECARD_AMBER_GAP = env_int("SCORECARD_AMBER_GAP_PERCENT", 10, minimum=0) / 100
SCORECARD_RED_GAP = env_int("SCORECARD_RED_GAP_PERCENT", 30, minimum=0) / 100
VALUE_HOURLY_RATE = env_int("VALUE_HOURLY_RATE", 60, minimum=0)
# The currency of the hourly rate and of the charter's costs: pages and the CSV export show money in it.
VALUE_CURRENCY = env_str("VALUE_CURRENCY", "EUR")
if not (len(VALUE_CURRENCY) == 3 and VALUE_CURRENCY.isascii() and VALUE_CURRENCY.isupper()):
    raise ImproperlyConfigured(
        f"VALUE_CURRENCY must be a three-letter ISO 4217 code such as EUR; got {VALUE_CURRENCY!r}."
    )
OBSERVATION_WINDOW_DAYS = env_int("OBSERVATION_WINDOW_DAYS", 28, minimum=0)
PILOT_THEATER_DAYS = env_int("PILOT_THEATER_DAYS", 90, minimum=1)
STUCK_AFTER_DAYS = env_int("STUCK_AFTER_DAYS", 60, minimum=1)
# Telemetry trends (README.md, "Telemetry and diagnosis"): the fitted rise over a cost or drift KPI's last
# TREND_POINTS points that raises "cost rising" / "drift rising", as a share of their mean.
TREND_POINTS = env_int("TREND_POINTS", 6, minimum=3)
TREND_RISE = env_int("TREND_RISE_PERCENT", 10, minimum=1) / 100

NOTIFY_EVERY_SECONDS = env_int("NOTIFY_EVERY_SECONDS", 60, minimum=1)

# Outbound webhooks and chat channels (README.md, "Webhooks"). Private, loopback and link-local
# addresses reach this server's own network (SSRF), so they are refused unless allowed: on with
# DEBUG (`make run`, to try a receiver on 127.0.0.1), off in production.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG)
# Seconds to connect, and to wait for the answer, on every send.
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 5, minimum=1)
WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", 10, minimum=1)
# A failed attempt is retried after RETRY_SECONDS, doubling each time up to RETRY_MAX_SECONDS; after
# MAX_ATTEMPTS the delivery gives up (an admin can redeliver it). An endpoint whose last
# DISABLE_AFTER attempts all failed is disabled, and the superusers are told.
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 30, minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 12, minimum=1)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 20, minimum=1)
# The sweep that sends what is due (retries, and events whose on-commit task never reached the broker).
WEBHOOK_SWEEP_SECONDS = env_int("WEBHOOK_SWEEP_SECONDS", 30, minimum=1)
# Events and their delivery logs are kept this long once every delivery is done.
WEBHOOK_KEEP_DAYS = env_int("WEBHOOK_KEEP_DAYS", 30, minimum=1)

CELERY_BEAT_SCHEDULE = {
    # Every minute: email approvers of newly requested gate reviews.
    "email-approvers-of-new-reviews": {
        "task": "governance.tasks.notify_new_reviews_task",
        "schedule": NOTIFY_EVERY_SECONDS,
    },
    # Hourly by default: remind approvers of reviews open past their gate policy's review_due_days.
    "remind-overdue-gate-reviews": {
        "task": "governance.tasks.remind_overdue_reviews_task",
        "schedule": REVIEW_REMINDER_EVERY_SECONDS,
    },
    # Every SCORECARD_RECOMPUTE_SECONDS (5 minutes): recompute the scorecards of dirty initiatives.
    "recompute-dirty-scorecards": {
        "task": "kpis.tasks.recompute_scorecards_task",
        "schedule": SCORECARD_RECOMPUTE_SECONDS,
    },
    # Nightly at 01:00 UTC: recompute every scorecard (expected progress and staleness move with time).
    "recompute-all-scorecards-nightly": {
        "task": "kpis.tasks.recompute_scorecards_task",
        "schedule": crontab(hour=1, minute=0),
        "kwargs": {"full": True},
    },
    # Daily at 07:00 UTC: tell KPI owners which of their KPIs went stale.
    "email-stale-kpi-owners": {
        "task": "kpis.tasks.notify_stale_kpis_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Nightly at 02:30 UTC: walk the audit hash chain and log the first broken link, if any.
    "verify-audit-chain-nightly": {
        "task": "governance.tasks.verify_audit_chain_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every NOTIFY_EVERY_SECONDS (a minute by default, at any UTC time): email in-app notifications not emailed yet.
    "email-in-app-notifications": {
        "task": "governance.tasks.email_notifications_task",
        "schedule": NOTIFY_EVERY_SECONDS,
    },
    # Daily at 08:00 UTC: tell service owners and enablement of reuse reviews due within 7 days.
    "remind-upcoming-reuse-reviews": {
        "task": "governance.tasks.remind_reuse_reviews_task",
        "schedule": crontab(hour=8, minute=0),
    },
    # Every WEBHOOK_SWEEP_SECONDS (30 s, at any UTC time): send webhook and chat deliveries that are due.
    "send-due-webhooks": {
        "task": "governance.webhooks.tasks.send_webhooks_task",
        "schedule": WEBHOOK_SWEEP_SECONDS,
    },
}

# Health and metrics (opmodel/ops.py). /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when set.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_DIR = metrics_dir()

# plain text, or one JSON object per line with the request id (opmodel/logs.py), for Django, gunicorn and Celery.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json; got {LOG_FORMAT!r}.")
LOGGING = logging_config(LOG_FORMAT, env_str("LOG_LEVEL", "INFO"))
