"""Settings shared by every environment; each value comes from the environment.

With nothing set, salesflow runs "embedded": a private PostgreSQL server it starts itself
and a file-system Celery broker, both under ``var/``, so a laptop without a database server
or Redis runs the whole app, background jobs included. Setting DATABASE_URL / REDIS_URL
switches to your PostgreSQL / Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import holidays
from celery.schedules import crontab
from csp.constants import NONE, SELF

from salesflow.core import embedded_db
from salesflow.env import (
    env_bool,
    env_choice,
    env_database,
    env_email,
    env_int,
    env_int_list,
    env_list,
    env_redis_url,
    env_str,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("SALESFLOW_VAR_DIR", str(BASE_DIR / "var")))

# The fallback key is only good for a developer's laptop; production.py refuses it.
INSECURE_DEV_SECRET_KEY = "django-insecure-salesflow-local-development-only"
SECRET_KEY = env_str("SECRET_KEY", INSECURE_DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin with salesflow's site: columns no admin page may show or filter by.
    "salesflow.core.admin_site.SalesflowAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so runserver serves files the same way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "axes",
    # Two-factor sign-in (salesflow.core.twofactor): authenticator apps and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # Audit history (salesflow.core.audit): pgtrigger installs the triggers through
    # migrations, pghistory declares the event tables they write.
    "pgtrigger",
    "pghistory",
    "salesflow.core",
    "prospects",
    "pipeline",
    "pipeline.reviews",
    # The REST API (salesflow.core.api) and its OpenAPI schema, Swagger UI and Redoc, the
    # last two served from static files (the sidecar) so the CSP stays strict.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body or the query string (CSRF, django-axes, the views).
    "salesflow.core.middleware.Utf8RequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a login unless it is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # request.user.is_verified(): whether this session passed the second step; then every
    # page but the second step and enrolment asks for it (salesflow.core.twofactor).
    "django_otp.middleware.OTPMiddleware",
    "salesflow.core.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "salesflow.core.middleware.UserTimeZoneMiddleware",
    # Who and which door (page, admin, API) for the audit history of what the view writes.
    "salesflow.core.audit.context.AuditMiddleware",
    # django-axes asks to be last so it sees the final response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salesflow.urls"
WSGI_APPLICATION = "salesflow.wsgi.application"
ASGI_APPLICATION = "salesflow.asgi.application"

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
                "csp.context_processors.nonce",
                "salesflow.core.context_processors.navigation",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------
# DATABASE_URL unset: the embedded PostgreSQL under var/postgres/, started by the first
# process that connects (salesflow.core.embedded_db).
DATABASES = {"default": env_database("DATABASE_URL") or embedded_db.database_settings(VAR_DIR)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL's JIT compiles any query whose estimate passes a threshold; a web page's queries
# run for milliseconds, and compiling them costs far more than it saves (docs/performance.md).
# pgtrigger.ignore set (to none): every audit trigger first asks pgtrigger whether it is to be
# ignored, which reads this setting; when it is not set at all, the read raises and is caught
# in a subtransaction, per row — it made a 10,000-row import 50 % slower (docs/audit.md).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c pgtrigger.ignore={}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "salesflow",
        }
    }
else:
    # A file cache is shared by the web, worker and beat processes of the embedded mode.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Users and sign-in ------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    # Axes must come first: it refuses a locked-out user before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "salesflow.core.permissions.RolePermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password reset by email: the link lasts this long and works once; requests are limited
# per address and per client address, an hour at a time (salesflow.core.password_reset).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600, minimum=60)
SALESFLOW_PASSWORD_RESET_PER_ADDRESS = env_int("SALESFLOW_PASSWORD_RESET_PER_ADDRESS", 5, minimum=1)
SALESFLOW_PASSWORD_RESET_PER_IP = env_int("SALESFLOW_PASSWORD_RESET_PER_IP", 20, minimum=1)

# Login throttling: lock a username+address pair out after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Proxies in front of salesflow that append to X-Forwarded-For; the lock-out keys on the
# client's address, not the proxy's. 0 (the default here) means clients connect directly.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "salesflow.core.net.client_ip"
# One address trying many usernames (a few guesses each, under the pair's limit) is locked
# out once its failures across all usernames reach this (salesflow.core.lockout).
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_HANDLER = "salesflow.core.lockout.AddressLimitHandler"

# Two-factor sign-in: when on, admins and sales ops (who see every team's records and
# configure the process) must enrol before anything else; everyone else may choose to.
SALESFLOW_REQUIRE_2FA = env_bool("SALESFLOW_REQUIRE_2FA", False)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "salesflow"

# --- Security headers -----------------------------------------------------------------
# A strict policy from day one: no inline scripts or styles, everything from static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws a few icons (select arrows, the navbar toggler) as data: SVGs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# /healthz is probed over plain HTTP by load balancers and container health checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- The REST API (salesflow.core.api) ------------------------------------------------
REST_FRAMEWORK = {
    # A personal API token first: its "Bearer" is what a 401 asks for. The session serves the
    # docs pages and a signed-in browser, with CSRF on its writes.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "salesflow.core.apitokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per token (per user for a session): SALESFLOW_API_RATE, 429 with Retry-After beyond it.
    "DEFAULT_THROTTLE_CLASSES": ["salesflow.core.apitokens.throttling.ApiTokenRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # A session owes the pages' second step to the API too (salesflow.core.api).
        "salesflow.core.api.permissions.SessionPassedSecondStep",
    ],
    "DEFAULT_PAGINATION_CLASS": "salesflow.core.api.pagination.KeysetPagination",
    # JSON only: the browsable API's pages would need inline scripts the CSP refuses.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "salesflow.core.api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "salesflow API",
    "DESCRIPTION": (
        "salesflow's records as the signed-in user sees them on the pages: accounts, "
        "contacts, conversations and the why, deals and their moves, Sequences of Events, "
        "follow-ups, notifications, the dashboard's figures and reviews. Every write goes "
        "through the same rules as the pages. Errors are problem details (RFC 9457); lists "
        "are keyset pages (follow `next`); creations take an `Idempotency-Key`."
    ),
    "VERSION": __import__("salesflow").__version__,
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema, like the API, for a token or a session that passed the second step
    # (an integration reads it with its token); the docs pages are behind the sign-in.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.IsAuthenticated",
        "salesflow.core.api.permissions.SessionPassedSecondStep",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The three readiness questions share one set of answers: one enum in the schema.
    # Several records call their choices "status" or "kind": each set named for its record.
    "ENUM_NAME_OVERRIDES": {
        "AnswerEnum": "prospects.models.Answer",
        "AccountStatusEnum": "prospects.models.Account.Status",
        "SoeStepStatusEnum": "pipeline.soe.models.SoeStep.Status",
        "FollowUpStatusEnum": "pipeline.followups.models.FollowUp.Status",
        "DealStatusEnum": "pipeline.api.deals.STATUSES",
        "ConversationKindEnum": "prospects.models.ConversationKind",
        "CloseReasonKindEnum": "pipeline.deals.models.CloseReason.Kind",
    },
}

# --- Internationalisation ------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_time_zone("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Forms ----------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ---------------------------------------------------------------------------
globals().update(env_email("EMAIL_URL", "console://"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "salesflow <salesflow@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP server may take to answer before a send counts as failed (and is retried):
# without it a hung server would hold a sender, and its claimed messages, forever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)

# --- The outbox (salesflow.core.outbox): every email salesflow sends ---------------------
# Messages claimed by one sender at a time, sent over one SMTP connection.
SALESFLOW_OUTBOX_BATCH = env_int("SALESFLOW_OUTBOX_BATCH", 100, minimum=1)
# How long a sender's claim lasts: a sender that dies leaves its messages for this long.
SALESFLOW_OUTBOX_LEASE_SECONDS = env_int("SALESFLOW_OUTBOX_LEASE_SECONDS", 300, minimum=5)
# After a failed attempt: wait the base, doubling each time up to the cap; give up (and
# tell the recipient in the app) after this many attempts — about four hours with these.
SALESFLOW_OUTBOX_RETRY_SECONDS = env_int("SALESFLOW_OUTBOX_RETRY_SECONDS", 60, minimum=1)
SALESFLOW_OUTBOX_RETRY_MAX_SECONDS = env_int("SALESFLOW_OUTBOX_RETRY_MAX_SECONDS", 3600, minimum=1)
SALESFLOW_OUTBOX_MAX_ATTEMPTS = env_int("SALESFLOW_OUTBOX_MAX_ATTEMPTS", 10, minimum=1)
# Beat asks for a sender this often, for messages whose retry time came or whose sender died.
SALESFLOW_OUTBOX_POLL_SECONDS = env_int("SALESFLOW_OUTBOX_POLL_SECONDS", 30, minimum=1)

# --- Webhooks (salesflow.core.webhooks): outbox rows of kind "webhook" -------------------
# Plain http:// only where nothing real is at stake: on while DEBUG (a developer's laptop),
# off in production unless set.
SALESFLOW_WEBHOOKS_ALLOW_HTTP = env_bool("SALESFLOW_WEBHOOKS_ALLOW_HTTP", DEBUG)
# Private, loopback, link-local, multicast and reserved addresses are refused after DNS
# resolution (a URL must not reach into our own network); the test settings allow them so
# tests can run a receiver on 127.0.0.1.
SALESFLOW_WEBHOOKS_ALLOW_PRIVATE = env_bool("SALESFLOW_WEBHOOKS_ALLOW_PRIVATE", False)
# Seconds a receiver has to connect and answer, in all.
SALESFLOW_WEBHOOKS_TIMEOUT_SECONDS = env_int(
    "SALESFLOW_WEBHOOKS_TIMEOUT_SECONDS", 5, minimum=1, maximum=30
)
# Seconds to wait after the 1st, 2nd, … failed attempt (Standard Webhooks' suggestion: about
# a day in all); after the last, the message is failed.
SALESFLOW_WEBHOOKS_RETRY_SCHEDULE = env_int_list(
    "SALESFLOW_WEBHOOKS_RETRY_SCHEDULE", [5, 300, 1800, 7200, 18000, 36000, 36000], minimum=1
)
# Failed attempts in a row (across messages) that pause an endpoint and tell its owner.
SALESFLOW_WEBHOOKS_PAUSE_AFTER = env_int("SALESFLOW_WEBHOOKS_PAUSE_AFTER", 20, minimum=1)
# Messages claimed by one sender at a time (each may take up to the timeout).
SALESFLOW_WEBHOOKS_BATCH = env_int("SALESFLOW_WEBHOOKS_BATCH", 20, minimum=1)
# Bytes of a receiver's answer read at most; the rest is never downloaded.
SALESFLOW_WEBHOOKS_RESPONSE_MAX_BYTES = env_int(
    "SALESFLOW_WEBHOOKS_RESPONSE_MAX_BYTES", 4096, minimum=1, maximum=65536
)

# --- Celery ---------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT: str | None = None  # the URL's scheme says
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    # kombu's file-system transport: a queue that needs no server, for the embedded mode;
    # ours writes each file whole (salesflow/core/filequeue.py).
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT = "salesflow.core.filequeue:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Tasks report through the database, never through Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
# acks_late is switched on per task, only for tasks that are safe to run twice.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# The hour (in TIME_ZONE) of the daily check for stuck deals.
SALESFLOW_STUCK_CHECK_HOUR = env_int("SALESFLOW_STUCK_CHECK_HOUR", 6, minimum=0, maximum=23)

# Artificial patience: business mornings skip weekends and this country's public holidays.
SALESFLOW_HOLIDAY_COUNTRY = env_choice(
    "SALESFLOW_HOLIDAY_COUNTRY", "GB", sorted(holidays.list_supported_countries())
)
# Some holidays belong to part of a country (England's Easter Monday): ISO subdivision code.
SALESFLOW_HOLIDAY_SUBDIVISION = env_choice(
    "SALESFLOW_HOLIDAY_SUBDIVISION",
    "ENG" if SALESFLOW_HOLIDAY_COUNTRY == "GB" else "",
    ["", *holidays.list_supported_countries()[SALESFLOW_HOLIDAY_COUNTRY]],
)
SALESFLOW_BUSINESS_MORNING_HOUR = env_int(
    "SALESFLOW_BUSINESS_MORNING_HOUR", 9, minimum=0, maximum=23
)
# Open deals in stages at or above this win probability (%) count as "commit".
SALESFLOW_COMMIT_PROBABILITY = env_int("SALESFLOW_COMMIT_PROBABILITY", 70, minimum=0, maximum=100)
SALESFLOW_FISCAL_YEAR_START_MONTH = env_int(
    "SALESFLOW_FISCAL_YEAR_START_MONTH", 1, minimum=1, maximum=12
)
# How long the dashboard's figures are kept once worked out (the page says when they were):
# at the size of a large company they take seconds of database time.
SALESFLOW_DASHBOARD_KEEP_MINUTES = env_int(
    "SALESFLOW_DASHBOARD_KEEP_MINUTES", 10, minimum=1, maximum=24 * 60
)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "salesflow.core.beat:Scheduler"  # makes the schedule's folder
# Beat writes its schedule after every job it sends: the container's health check reads its age.
CELERY_BEAT_SYNC_EVERY = 1
CELERY_BEAT_SCHEDULE = {
    "record-worker-heartbeat": {
        "task": "salesflow.core.tasks.record_worker_heartbeat",
        "schedule": 60.0,
    },
    # Emails whose retry time has come, or whose sender died (each commit asks at once).
    "send-outbox": {
        "task": "salesflow.core.tasks.send_outbox",
        "schedule": float(SALESFLOW_OUTBOX_POLL_SECONDS),
    },
    # Webhooks whose retry time has come, or whose sender died (each commit asks at once).
    "deliver-webhooks": {
        "task": "salesflow.core.tasks.deliver_webhooks",
        "schedule": float(SALESFLOW_OUTBOX_POLL_SECONDS),
    },
    # Held follow-ups whose patience window has passed surface within a minute.
    "surface-due-follow-ups": {
        "task": "pipeline.tasks.surface_due_followups",
        "schedule": 60.0,
    },
    # The whole company's and each team's dashboard, worked out again before they expire.
    "keep-dashboards-fresh": {
        "task": "pipeline.tasks.keep_dashboards_fresh",
        "schedule": SALESFLOW_DASHBOARD_KEEP_MINUTES * 30.0,
    },
    # Bulk edits whose worker died (or whose task was lost) are taken up again.
    "resume-bulk-edits": {
        "task": "pipeline.bulkedit.tasks.resume_bulk_edits",
        "schedule": 60.0,
    },
    # Daily, before the working day starts: who has deals that went quiet.
    "mark-stuck-deals": {
        "task": "pipeline.tasks.mark_stuck_deals",
        "schedule": crontab(hour=SALESFLOW_STUCK_CHECK_HOUR, minute=0),
    },
}

# CSV imports with at least this many rows run as a background job with a progress bar.
SALESFLOW_IMPORT_ASYNC_ROWS = env_int("SALESFLOW_IMPORT_ASYNC_ROWS", 10_000, minimum=1)
SALESFLOW_IMPORT_MAX_BYTES = env_int("SALESFLOW_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)

# Bulk edits of deals (pipeline/bulkedit/): selections above this many deals run on a worker
# with a progress page; smaller ones in the request itself.
SALESFLOW_BULK_EDIT_ASYNC_ROWS = env_int("SALESFLOW_BULK_EDIT_ASYNC_ROWS", 50, minimum=1)
# The most deals one bulk edit may name: beyond it the filters are too wide to mean it.
SALESFLOW_BULK_EDIT_MAX_ROWS = env_int("SALESFLOW_BULK_EDIT_MAX_ROWS", 5000, minimum=1)
# A run renews its hold on the job with every deal; a worker that dies stops renewing, and
# after this long the resume sweep hands the job to another run.
SALESFLOW_BULK_EDIT_LEASE_SECONDS = env_int(
    "SALESFLOW_BULK_EDIT_LEASE_SECONDS", 60, minimum=2, maximum=3600
)

# A worker heartbeat older than this is reported as stale on /healthz and the admin home.
SALESFLOW_HEARTBEAT_STALE_AFTER = timedelta(
    seconds=env_int("SALESFLOW_HEARTBEAT_STALE_AFTER", 180, minimum=60)
)

# --- Audit history (salesflow.core.audit, docs/audit.md) ------------------------------
import pghistory  # noqa: E402 - kept with the settings that use it

# Each event carries its context (user, door) as JSON in its own row: no shared context
# table for the trigger to upsert on every write.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
# An event table's copies of foreign keys are read through the object's own index (see
# tracking.py), never searched by: an index per copied key would only slow every write.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
# The moment of the change itself, not the start of its transaction (NOW()): a long import
# or a test's transaction would otherwise date every event at its beginning.
PGHISTORY_CREATED_AT_FUNCTION = "CLOCK_TIMESTAMP()"
# Reads write nothing worth auditing: the middleware attaches context to writes only.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Days an audit event is kept; unset (the default) keeps them forever. When set, a monthly
# job deletes older events (salesflow.core.audit.services.audit_prune).
SALESFLOW_AUDIT_KEEP_DAYS = env_int("SALESFLOW_AUDIT_KEEP_DAYS", 0, minimum=0) or None
if SALESFLOW_AUDIT_KEEP_DAYS:
    CELERY_BEAT_SCHEDULE["prune-audit-history"] = {
        "task": "salesflow.core.tasks.prune_audit_history",
        "schedule": crontab(day_of_month=1, hour=3, minute=30),
    }

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # Django's own console handler would print every line a second time.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
}

# --- API tokens (salesflow.core.apitokens) ----------------------------------------------
from salesflow.env import env_rate  # noqa: E402 - kept with the one setting that uses it

# Requests per API token (per user for a browser session) before 429 Too Many Requests.
SALESFLOW_API_RATE = env_rate("SALESFLOW_API_RATE", "600/min")
