"""Settings shared by every environment; everything that differs per deployment comes from the
environment so the same code runs on a laptop (SQLite, no Redis) and on the intranet servers."""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from arrears.logs import admins_from_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ARREARS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# How many reverse proxies in front of the app append to X-Forwarded-For (rate limits of the
# public pages count per citizen's address, not per proxy). 0: use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Phone and ID numbers are encrypted at rest (arrears/encryption.py, docs/security.md): a ring of
# `id:base64key` entries, the first one current, from the variable or else from the key file;
# the blind indexes have a key of their own. Empty here: local and test settings fall back to
# fixed development keys, production refuses to start without real ones.
FIELD_ENCRYPTION_KEYS = os.environ.get("FIELD_ENCRYPTION_KEYS", "")
FIELD_ENCRYPTION_KEY_FILE = os.environ.get("FIELD_ENCRYPTION_KEY_FILE", "")
FIELD_BLIND_INDEX_KEY = os.environ.get("FIELD_BLIND_INDEX_KEY", "")
# Public on purpose (the repository has them): data encrypted with them is not protected.
DEVELOPMENT_FIELD_ENCRYPTION_KEYS = "dev:YXJyZWFycy1kZXZlbG9wbWVudC1maWVsZC1rZXktMDE="
DEVELOPMENT_FIELD_BLIND_INDEX_KEY = "YXJyZWFycy1kZXZlbG9wbWVudC1ibGluZC1pbmRleCE="
# The audit trails' chained MAC (arrears/audit/chain.py): the key from the environment
# (production refuses to start without one), HMAC-SM3 unless "sha256" is asked for. Changing
# either breaks the verification of rows already written: archive them first (docs/security.md).
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", "development-only-audit-key")
AUDIT_HMAC_ALGORITHM = os.environ.get("AUDIT_HMAC_ALGORITHM", "sm3")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # Login failure handling (arrears/lockout.py): records every attempt, locks accounts and
    # addresses.
    "axes",
    "csp",
    # Two-factor sign-in (arrears/two_factor/): django-otp with its authenticator-app (TOTP)
    # and recovery-code devices; the SMS device is arrears.SmsDevice.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "arrears.apps.ArrearsConfig",
    "complaints.apps.ComplaintsConfig",
    "projects.apps.ProjectsConfig",
    "reporting.apps.ReportingConfig",
]

MIDDLEWARE = [
    # First: every response (redirects and static files too) and every log line get the id.
    "arrears.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "arrears.middleware.PermissionsPolicyMiddleware",
    # Static files from the application itself (hashed names, compressed copies, far-future
    # cache headers), so gunicorn alone or behind the intranet's proxy serves real pages.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "arrears.middleware.NullCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether the session passed the second factor (request.user.is_verified()), then holding
    # those who must pass it at the verify or enrolment step (arrears/two_factor/middleware.py).
    "django_otp.middleware.OTPMiddleware",
    "arrears.two_factor.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After authentication so the audit trail can name the acting user.
    "arrears.middleware.AuditActorMiddleware",
    # Session limits (arrears/user_sessions.py): in __call__, after the messages middleware so
    # the sign-out can say why; then the password expiry (arrears/passwords.py), whose
    # process_view runs after the two-factor step's.
    "arrears.user_sessions.SessionTimeoutMiddleware",
    "arrears.passwords.PasswordExpiryMiddleware",
    # Just before the view: a request that wrote reads its marked reads from the primary, and
    # its user's next ones until the replica has replayed the write (arrears/replica.py).
    "arrears.replica.ReadYourWritesMiddleware",
    # Last, as axes asks: turns a lockout flagged during authenticate() into the login page
    # with the lockout message (AXES_LOCKOUT_CALLABLE).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "arrears.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "arrears.context_processors.shell",
            ],
        },
    },
]

# --- Browser policies -------------------------------------------------------------------------
# Scripts, styles, images and fonts from this site only: no inline script, no on* handler, no
# eval, no inline <style> or style attribute (pages use data- attributes read by
# static/js/arrears.js). ECharts draws on a canvas; images of QR codes are inline SVG (data:).
# The API documentation (Swagger UI) has its own small relaxation on its view (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# Browser features the system never uses are switched off for every page (and for anything a
# page might embed). Evidence photos are taken with <input type=file capture>, which needs no
# camera permission.
PERMISSIONS_POLICY = os.environ.get(
    "PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()",
)

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production and CI; the embedded default is a SQLite file
# under the git-ignored var/ folder so `make run` needs no server.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'arrears.sqlite3'}",
        # Persistent connections: measured 5x faster inserts than CONN_MAX_AGE=0.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the Celery worker writes; a busy timeout instead of
    # "database is locked" errors when both write at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # A second connection to the same database for streamed reads (exports): their cursor
    # lives in a transaction of its own there, while the job's progress commits on "default"
    # (arrears/streaming.py). The same test database in tests.
    DATABASES["stream"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# A PostgreSQL streaming replica for the reads marked as safe to serve slightly behind the
# primary (dashboards, drill-down lists, exports, the reporting API; arrears/replica.py). Unset:
# no second alias, and every read goes to the primary as before.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
# Marked reads go to the primary while the replica is further behind than this.
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
if REPLICA_DATABASE_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("REPLICA_DATABASE_URL needs PostgreSQL in DATABASE_URL")
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
    # A replica that does not answer must cost a page two seconds at most, not the kernel's
    # TCP timeout, before its reads fall back to the primary (?connect_timeout= overrides).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Tests: Django must neither create nor flush the replica's test database (it is
    # read-only; it receives the primary's by replication). MIRROR keeps Django's hands off it;
    # tests/conftest.py then points the alias back at the replica's copy.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["arrears.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identification and authentication (身份鉴别, docs/security.md) --------------------------
# Passwords: at least PASSWORD_MIN_LENGTH characters of three of the four kinds (lower, upper,
# digit, symbol), not a common password, not like the username or name, none of the last
# PASSWORD_HISTORY_COUNT; a new one every PASSWORD_MAX_AGE_DAYS days (0: never expires).
PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))
PASSWORD_HISTORY_COUNT = int(os.environ.get("PASSWORD_HISTORY_COUNT", "5"))
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "90"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "arrears.passwords.CharacterKindsValidator", "OPTIONS": {"min_kinds": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Also keeps each new hash and ends the user's sessions when a password changes: keep it.
    {
        "NAME": "arrears.passwords.PasswordHistoryValidator",
        "OPTIONS": {"count": PASSWORD_HISTORY_COUNT},
    },
]
# Argon2id for new hashes; the others only check (and on login upgrade) older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Where a user whose password expired may still go (URL names): the steps before it (the second
# factor), leaving, and the change itself.
PASSWORD_EXPIRED_ALLOWED_VIEWS = [
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "set_language",
    "healthz",
    "readyz",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "two-factor-verify",
    "two-factor-sms-send",
    "two-factor-enrol",
    "two-factor-enrol-sms",
    "two-factor-enrol-sms-confirm",
]

# Login failures (arrears/lockout.py): an account is locked after LOGIN_FAILURE_LIMIT failures,
# an address after LOGIN_ADDRESS_FAILURE_LIMIT, each with no gap of LOGIN_FAILURE_WINDOW_MINUTES
# between them; the lock lasts that long after the last failure. Axes watches authenticate()
# (first backend); the API's keys never pass through it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
AXES_HANDLER = "arrears.lockout.LoginAttemptHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
# Each on its own (not the combination): the username whatever the address, the address
# whatever the username; LoginAttemptHandler gives each its own limit.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_FAILURE_WINDOW_MINUTES)
# A failure while locked counts too (and is recorded), so guessing on does not end the lock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "arrears.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "arrears.lockout.lockout_response"
# Every failure kept (AccessFailureLog) beside the current counters and the successful logins.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 429

# Sessions end after SESSION_IDLE_MINUTES without activity and SESSION_MAX_HOURS after sign-in
# (arrears/user_sessions.py); the cookie lasts no longer than the latter.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "8"))
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
# Front-end libraries come from npm (node_modules, installed by `make`) and from Python packages
# (django-htmx, drf-spectacular-sidecar); nothing is loaded from a CDN: intranets have none.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Production keeps the cache in its own Redis database (CACHE_REDIS_URL, e.g. db 1) apart from
# the broker's (CELERY_BROKER_URL, db 0), so flushing the cache never drops queued tasks.
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", REDIS_URL)
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Computed dashboards are kept this long (reporting/cache.py); beat refreshes the city's default
# views more often than that. 0 computes every page afresh.
REPORTING_CACHE_SECONDS = int(os.environ.get("REPORTING_CACHE_SECONDS", "900"))
# Dashboards read the pre-aggregated facts kept by PostgreSQL triggers (reporting/facts.py);
# false computes every figure from the records (as on SQLite, always). For comparison only.
REPORTING_FACTS = os.environ.get("REPORTING_FACTS", "true").lower() in ("1", "true", "yes")

# --- Celery -----------------------------------------------------------------------------------
# Redis when REDIS_URL (or CELERY_BROKER_URL) is set; otherwise kombu's filesystem transport,
# which needs no server and is enough for one machine running `make run`.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost/")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("out", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "out"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "out"),
        "data_folder_processed": str(CELERY_FILESYSTEM_DIR / "processed"),
        # kombu's default is ./control, relative to wherever the process was started.
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
    }
else:
    # Tasks here are short; the visibility timeout only matters for tasks that are lost with a
    # killed worker, and they are idempotent, so redelivery after an hour is harmless.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# A task is acknowledged after it ran, so a worker killed mid-task leaves it to be redelivered;
# every task is idempotent for that reason.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Queues by kind of work, each consumed by its own worker processes (docker-compose.yml,
# deploy/systemd/arrears-worker@.service), so a slow export or an hour of audit verification
# never stands in front of an escalation: a task waits only behind work of its own kind.
# This is the one place a task is given a queue; tests/test_queues.py checks that every task
# the project registers is named here.
QUEUE_DEADLINES = "deadlines"  # the sweeps: deadlines, warnings, listings, the job sweep
QUEUE_OUTBOX = "outbox"  # deliveries: callbacks, e-mail and SMS copies, digests
QUEUE_JOBS = "jobs"  # exports and imports (arrears/jobs.py), minutes each
QUEUE_REPORTING = "reporting"  # long reads: dashboard warming, the audit chains' walk
# Celery's own default name, kept so that whatever was queued before queues existed is still
# consumed after an upgrade. Every worker serves it too: it holds only tasks of a moment
# (the health ping, the heartbeat's fallback, the per-notification tasks of old).
QUEUE_DEFAULT = "celery"
WORKER_QUEUES = [QUEUE_DEADLINES, QUEUE_OUTBOX, QUEUE_JOBS, QUEUE_REPORTING, QUEUE_DEFAULT]
CELERY_TASK_DEFAULT_QUEUE = QUEUE_DEFAULT
_TASKS_BY_QUEUE = {
    QUEUE_DEADLINES: [
        "arrears.tasks.sweep_deadlines",
        "arrears.tasks.recompute_deadlines",
        "arrears.tasks.check_calendar_coverage",
        "projects.tasks.evaluate_warnings",
        "projects.tasks.expire_listings",
        "projects.tasks.ensure_deposit_clocks",
        # A sweep, not a job: it ends jobs whose worker died, so it must not queue behind
        # the exports on the jobs queue (or wait for a jobs worker that is gone).
        "arrears.tasks.sweep_jobs",
        # Short and every minute, like the sweeps (reporting/facts.py).
        "reporting.tasks.fold_facts",
    ],
    QUEUE_OUTBOX: [
        "arrears.tasks.deliver_messages",
        "complaints.tasks.deliver_callbacks",
        "complaints.tasks.deliver_complainant_texts",
        "arrears.tasks.send_digests",
        "arrears.tasks.deliver_notification",
        "arrears.tasks.deliver_notifications",
    ],
    QUEUE_JOBS: ["arrears.tasks.run_job"],
    # Long reads and the daily table maintenance (partitions, retention, sessions): never
    # in the way of an escalation or a delivery.
    QUEUE_REPORTING: [
        "reporting.tasks.warm_dashboards",
        "arrears.tasks.verify_audit",
        "arrears.tasks.maintain_tables",
        "arrears.tasks.clear_sessions",
    ],
    # The heartbeat is sent to every queue by its beat entries below (options.queue wins
    # over the route); sent without one it lands here.
    QUEUE_DEFAULT: ["arrears.tasks.ping", "arrears.tasks.heartbeat"],
}
CELERY_TASK_ROUTES = {
    task: {"queue": queue} for queue, tasks in _TASKS_BY_QUEUE.items() for task in tasks
}

# Beat: with Redis, RedBeat keeps the schedule in Redis and holds a lock there, so any number
# of beat processes may be started (one per host, for redundancy) and exactly one sends: the
# others wait for the lock and take over within BEAT_LOCK_SECONDS of the holder's death. The
# embedded broker (no Redis, one machine) keeps Celery's own file-based scheduler.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = CELERY_BROKER_URL
    CELERY_REDBEAT_KEY_PREFIX = os.environ.get("BEAT_KEY_PREFIX", "arrears:beat:")
    CELERY_REDBEAT_LOCK_TIMEOUT = int(os.environ.get("BEAT_LOCK_SECONDS", "60"))
    # The holder renews the lock at least this often (every tick), well within its timeout.
    CELERY_BEAT_MAX_LOOP_INTERVAL = max(1, min(10, CELERY_REDBEAT_LOCK_TIMEOUT // 5))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The one beat schedule of the system. Deadlines of days are database rows swept here, never
# countdown/ETA tasks (Redis would redeliver those after the visibility timeout).
CELERY_BEAT_SCHEDULE = {
    # /readyz's "worker:<queue>" heartbeats (arrears/health.py), one entry per queue so that
    # each is run by a worker consuming that queue; the sweep below writes "beat".
    **{
        f"health-heartbeat-{queue}": {
            "task": "arrears.tasks.heartbeat",
            "schedule": 60,
            "args": [queue],
            "options": {"queue": queue, "expires": 55},
        }
        for queue in WORKER_QUEUES
    },
    # The audit trails' chained MAC walked once a day (arrears/audit_admin/maintenance.py); a break
    # alerts the audit and security administrators.
    "audit-verify": {
        "task": "arrears.tasks.verify_audit",
        "schedule": 24 * 3600,
        "options": {"expires": 12 * 3600},
    },
    "deadlines-sweep": {
        "task": "arrears.tasks.sweep_deadlines",
        # Every minute: an idle sweep is a probe of a partial index (milliseconds), so reminders
        # and escalations go out within a minute of their time, and /readyz sees beat working
        # a minute after it starts (the first run of an interval entry is one interval away).
        "schedule": 60,
        "options": {"expires": 55},
    },
    "complaints-deliver-callbacks": {
        "task": "complaints.tasks.deliver_callbacks",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "complaints-deliver-texts": {
        "task": "complaints.tasks.deliver_complainant_texts",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "notifications-deliver-messages": {
        "task": "arrears.tasks.deliver_messages",
        "schedule": 60,
        "options": {"expires": 55},
    },
    # Daily digests of reminders and escalations (arrears/digests.py): the run after
    # notifications.digest_time writes them; every other run finds nothing held.
    "notifications-send-digests": {
        "task": "arrears.tasks.send_digests",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    "projects-evaluate-warnings": {
        "task": "projects.tasks.evaluate_warnings",
        "schedule": 24 * 3600,
        "options": {"expires": 12 * 3600},
    },
    "projects-expire-listings": {
        "task": "projects.tasks.expire_listings",
        "schedule": 24 * 3600,
        "options": {"expires": 12 * 3600},
    },
    # The wage deposit's lodging and guarantee-letter clocks (projects/services/deposits.py).
    "projects-ensure-deposit-clocks": {
        "task": "projects.tasks.ensure_deposit_clocks",
        "schedule": 24 * 3600,
        "options": {"expires": 12 * 3600},
    },
    # The dashboards' facts: deltas the triggers wrote folded in (reporting/facts.py). Reads
    # add the unfolded deltas, so figures are exact whenever this runs; it keeps the deltas few.
    "reporting-fold-facts": {
        "task": "reporting.tasks.fold_facts",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "reporting-warm-dashboards": {
        "task": "reporting.tasks.warm_dashboards",
        "schedule": 10 * 60,
        "options": {"expires": 9 * 60},
    },
    "jobs-sweep": {
        "task": "arrears.tasks.sweep_jobs",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "calendar-provisional-check": {
        "task": "arrears.tasks.check_calendar_coverage",
        "schedule": 6 * 3600,
        "options": {"expires": 3600},
    },
    # Tables that only grow (arrears/retention.py): the audit trails' partitions months ahead,
    # then old notifications and settled outbox rows deleted in short chunks. Daily.
    "retention-maintain-tables": {
        "task": "arrears.tasks.maintain_tables",
        "schedule": 24 * 3600,
        "options": {"expires": 12 * 3600},
    },
    # `clearsessions` (expired database sessions) and the session list's stale rows. Daily.
    "sessions-clear": {
        "task": "arrears.tasks.clear_sessions",
        "schedule": 24 * 3600,
        "options": {"expires": 12 * 3600},
    },
}

# A running export or import renews its lease with every progress write (every 2,000 rows or
# 2 s); a job whose lease ran out lost its worker and is ended by the job sweep (arrears/jobs.py).
JOB_LEASE_SECONDS = int(os.environ.get("JOB_LEASE_SECONDS", "120"))

# --- E-mail and SMS ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "arrears@localhost")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "arrears.sms.LoggingSmsBackend")
# Seconds an e-mail/SMS send may take (the SMTP socket timeout; an SMS backend must give up
# within it too). The outbox's lease is a multiple of it, so a send never outlives its claim.
NOTIFICATION_SEND_TIMEOUT = int(os.environ.get("NOTIFICATION_SEND_TIMEOUT", "10"))
EMAIL_TIMEOUT = NOTIFICATION_SEND_TIMEOUT
# Links in e-mails are absolute: this address joined with the page's path.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- Two-factor sign-in (arrears/two_factor/, docs/security.md) -------------------------------
# Shown in the authenticator app beside the account name.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "根治欠薪")
# The admin lists devices but never shows their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# An SMS code is valid this long; a new one can be sent after the cooldown, at most this many
# an hour per user (a phone or the SMS bill cannot be flooded through the verify page).
TWO_FACTOR_SMS_VALID_SECONDS = int(os.environ.get("TWO_FACTOR_SMS_VALID_SECONDS", "300"))
TWO_FACTOR_SMS_COOLDOWN_SECONDS = int(os.environ.get("TWO_FACTOR_SMS_COOLDOWN_SECONDS", "60"))
TWO_FACTOR_SMS_PER_HOUR = int(os.environ.get("TWO_FACTOR_SMS_PER_HOUR", "5"))
# The demo (`make run`, local settings): users seeded with the published demo secret are
# verified by it at login without typing a code. Never on in production settings.
ARREARS_DEMO = False
# Test settings only: sessions made by the test client's force_login()/login() count as
# verified, so tests of other features need not pass the verify step.
TWO_FACTOR_TRUST_TEST_LOGINS = False

# --- The outbox (callbacks, e-mail, SMS): retry after BACKOFF × 2^(n-1) seconds, capped ------
OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "30"))
OUTBOX_BACKOFF_MAX_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_MAX_SECONDS", str(6 * 3600)))

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API takes JSON; multipart only where files are uploaded (the evidence endpoint sets
    # its own). Form encodings cannot say null, a number or a list of objects, so accepting
    # them made one operation mean different things per content type (docs/security.md).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Cursor pagination: counting a big table per request made page-number pagination 20x
    # slower over a million rows.
    "DEFAULT_PAGINATION_CLASS": "arrears.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "arrears.api.exceptions.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "arrears API",
    "DESCRIPTION": "根治欠薪案件管理系统接口 / Wage-arrears case management API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The error shape and the X-Request-ID header, on every operation (arrears/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "arrears.api.schema.document_errors",
    ],
    # Several serializers share these choice sets; one name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "CaseOutcomeEnum": "complaints.models.case.Outcome",
        "TriageClassEnum": "complaints.models.case.TriageClass",
        "BatchOutcomeEnum": "complaints.intake.serializers.BatchOutcome",
        "CaseStateEnum": "complaints.models.case.CaseState",
        "ComplaintStatusEnum": "complaints.models.complaint.ComplaintStatus",
        "WarningStateEnum": "projects.models.compliance.WarningState",
        "ListKindEnum": "projects.models.registry.ListKind",
        "DeliveryStateEnum": "arrears.models.outbox.DeliveryState",
    },
}

# --- Errors, logging and health -----------------------------------------------------------
# Error views (arrears/error_pages.py); a CSRF failure under /api/ answers JSON like the rest.
CSRF_FAILURE_VIEW = "arrears.error_pages.csrf_failure"
# ADMINS="Name <a@b>,c@d": Django mails them every 500 (nothing is mailed when empty).
ADMINS = admins_from_env(os.environ.get("ADMINS", ""))
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Dotted path of a callable(request_or_None, exc_info) called for every error logged with an
# exception (requests, tasks, commands): the place to plug in an intranet error tracker. Empty:
# nothing is called, nothing leaves the machine.
ERROR_HOOK = os.environ.get("ERROR_HOOK", "")
# /readyz: the worker is silent when no worker ran the heartbeat task (beat, every minute) for
# this long; beat is stale when the deadline sweep (every 5 minutes) has not run for this long.
READYZ_WORKER_MINUTES = int(os.environ.get("READYZ_WORKER_MINUTES", "5"))
READYZ_BEAT_MINUTES = int(os.environ.get("READYZ_BEAT_MINUTES", "15"))

# LOG_FORMAT=json: one JSON object a line for a log collector; otherwise plain text. Either way
# every line names the request (X-Request-ID) or Celery task it was written for ("-": neither).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "arrears.logs.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "request_id"],
        },
        "error_hook": {
            "class": "arrears.logs.ErrorHookHandler",
            "level": "ERROR",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console", "error_hook"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own defaults would add a second console handler without the request id;
        # its records reach the root's handlers instead, and 500s are mailed to ADMINS.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}
