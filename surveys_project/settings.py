"""Settings, all from environment variables with safe defaults.

The defaults give an embedded setup that needs nothing installed (SQLite, a filesystem
Celery broker, a file cache, console email). Production sets ``DEBUG=0``, ``SECRET_KEY``,
``DATABASE_URL``, ``REDIS_URL`` and ``EMAIL_URL``; see the configuration table in README.md.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A local .env file is optional and never committed; real deployments use the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG=0) refuses to start without one: "
            "set SECRET_KEY to a long random string, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

# The address in every email link and export. Unset, it is where `make run` serves: the
# development server's port follows WEB_PORT (Procfile.dev), and so must the links.
WEB_PORT = env.int("WEB_PORT", default=8000)
SITE_URL = env.str("SITE_URL", default=f"http://localhost:{WEB_PORT}").rstrip("/")
_site = urlsplit(SITE_URL)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [_site.hostname or "localhost"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"{_site.scheme}://{_site.netloc}"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "surveys",
]

MIDDLEWARE = [
    "surveys.requestguard.NulRefusedMiddleware",  # before anything can hand a NUL to the database
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "surveys_project.urls"
WSGI_APPLICATION = "surveys_project.wsgi.application"

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
                "surveys.context_processors.brand",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and beat write to one file: WAL lets readers run beside a
    # writer, IMMEDIATE takes the write lock up front instead of failing on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Reports on a read replica (surveys/replica.py, docs/deploy.md): report reads go to
# REPORTS_DATABASE_URL when it is set; every write and every other read stays on the primary.
REPORTS_DATABASE_URL = env.str("REPORTS_DATABASE_URL", default="")
if REPORTS_DATABASE_URL:
    DATABASES["reports"] = env.db_url_config(REPORTS_DATABASE_URL)
    DATABASES["reports"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["reports"]["CONN_HEALTH_CHECKS"] = True
    # Tests read the primary's test database through this alias (no second test database).
    DATABASES["reports"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["surveys.replica.ReportsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared across processes: rate limits and the worker heartbeat rely on it) ----
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "surveys.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="surveys"),
            # Redis only helps (surveys/cache.py): a dead or blackholed Redis must cost a
            # request milliseconds, and the backend then fails open for a few seconds
            # without touching the socket.
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
                "FAIL_OPEN_RETRY_SECONDS": env.float("REDIS_RETRY_SECONDS", default=5.0),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth, i18n, static -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The product's own login page (/login/): agents, who are not staff, sign in there too.
LOGIN_URL = "login"
# Every role signs in on /login/ and lands on its own home (surveys/views/home.py).
LOGIN_REDIRECT_URL = "surveys:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "surveys_project.storage.StaticStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"Customer surveys <surveys@{_site.hostname}>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Security (production defaults; `check --deploy --fail-level WARNING` passes) ---------
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so Django trusts its
# X-Forwarded-Proto header, and keep SECURE_SSL_REDIRECT on (docs/deploy.md).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Client IPs are read from X-Forwarded-For only when the request comes from one of these.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# --- Product ----------------------------------------------------------------------------
# Shared secret for signed ticket-event webhooks; empty refuses every webhook call.
# The development default is accepted only from loopback clients (surveys/devmode.py).
DEV_WEBHOOK_SECRET = "dev-webhook-secret"  # noqa: S105
WEBHOOK_SECRET = env.str("WEBHOOK_SECRET", default=DEV_WEBHOOK_SECRET if DEBUG else "")
# How long an invitation may stay in `sending` before the sweep returns it to `scheduled`.
INVITATION_SENDING_LEASE_SECONDS = env.int("INVITATION_SENDING_LEASE_SECONDS", default=15 * 60)
# /healthz reports the worker "late" (and the site degraded) when no worker ran its heartbeat
# (beat sends one every minute) for longer than this.
HEALTH_WORKER_MAX_AGE_SECONDS = env.int("HEALTH_WORKER_MAX_AGE_SECONDS", default=300)
# Figures computed from fewer answers than this are hidden ("—" with their n).
REPORT_MIN_SAMPLE = env.int("REPORT_MIN_SAMPLE", default=5)
# An improvement action's effect compares at most this many days before and after its start.
IMPROVEMENT_EFFECT_MAX_DAYS = env.int("IMPROVEMENT_EFFECT_MAX_DAYS", default=90)

# --- Celery -----------------------------------------------------------------------------
# Without CELERY_BROKER_URL or REDIS_URL the worker and beat run on kombu's filesystem
# transport: a real broker in a folder, so `make run` needs no Redis (never eager mode).
# The filesystem transport has no server, but kombu still expects a host name in the URL and
# warns "No hostname was supplied" on every connection without one: name the local host.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Redis re-delivers any message not acknowledged within visibility_timeout. With acks_late a
# message stays unacknowledged while its task runs, so the timeout must exceed the hard time
# limit; tasks never use long countdowns (due work lives in the database, swept by beat).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT, "
        "or running tasks would be delivered twice."
    )
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_broker_dir / "queue"),
            "data_folder_out": str(_broker_dir / "queue"),
            "processed_folder": str(_broker_dir / "processed"),
            "control_folder": str(_broker_dir / "control"),
            "store_processed": False,
        }
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "surveys.tasks.worker_heartbeat", "schedule": 60.0},
}

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Sending (issue 3) ------------------------------------------------------------------
# Transient SMTP errors (4xx, refused, timeouts) retry after BASE·2^(n-1) seconds, capped at
# MAX, up to MAX_ATTEMPTS tries per email; then the invitation is `failed` with the reason.
INVITATION_RETRY_BASE_SECONDS = env.float("INVITATION_RETRY_BASE_SECONDS", default=60.0)
INVITATION_RETRY_MAX_SECONDS = env.float("INVITATION_RETRY_MAX_SECONDS", default=3600.0)
INVITATION_MAX_ATTEMPTS = env.int("INVITATION_MAX_ATTEMPTS", default=8)
# A retry this soon is re-enqueued with a countdown; later ones wait for the due sweep
# (countdown messages sit unacknowledged in Redis, so they must stay far below the
# visibility timeout).
INVITATION_RETRY_ENQUEUE_MAX_SECONDS = env.float("INVITATION_RETRY_ENQUEUE_MAX_SECONDS", default=300.0)
# Rows per sweep run; a backlog larger than this drains over the next runs.
INVITATION_SWEEP_BATCH = env.int("INVITATION_SWEEP_BATCH", default=5000)
# The due and reminder sweeps skip a run while more messages than this wait in the queue.
INVITATION_SWEEP_MAX_BACKLOG = env.int("INVITATION_SWEEP_MAX_BACKLOG", default=1000)
# A send task claims its own invitation and up to BATCH_SIZE - 1 other due ones in one UPDATE
# and sends them over one SMTP connection (bench/bench_dispatch.py). A worker killed mid-batch
# leaves at most that many rows for the lease. Past BATCH_SECONDS a batch hands back what it
# has not tried yet; keep it well under INVITATION_SENDING_LEASE_SECONDS.
INVITATION_SEND_BATCH_SIZE = env.int("INVITATION_SEND_BATCH_SIZE", default=25)
INVITATION_BATCH_SECONDS = env.float("INVITATION_BATCH_SECONDS", default=60.0)
if INVITATION_SEND_BATCH_SIZE < 1 or INVITATION_BATCH_SECONDS * 2 > INVITATION_SENDING_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "INVITATION_SEND_BATCH_SIZE must be at least 1 and INVITATION_BATCH_SECONDS at most half "
        "of INVITATION_SENDING_LEASE_SECONDS (a batch must settle before the lease returns its rows)."
    )
if INVITATION_BATCH_SECONDS + EMAIL_TIMEOUT >= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "INVITATION_BATCH_SECONDS plus EMAIL_TIMEOUT must stay below CELERY_TASK_SOFT_TIME_LIMIT: "
        "a batch stops taking new emails after INVITATION_BATCH_SECONDS, and its last one may "
        "wait EMAIL_TIMEOUT on the server."
    )
# Celery's Django fixup closes the database connection around every task unless this is set,
# so each send task opened a new PostgreSQL connection (a third of a worker's CPU per email).
# Workers now keep it for this many tasks; surveys_project/celery.py checks it before each
# task the way Django does between requests.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# A worker reuses its SMTP connection while it was used less than this many seconds ago.
EMAIL_REUSE_SECONDS = env.float("EMAIL_REUSE_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE.update(
    {
        "invitations-sweep-due": {"task": "surveys.tasks.invitations_sweep_due", "schedule": 60.0},
        "invitations-sweep-stuck": {"task": "surveys.tasks.invitations_sweep_stuck", "schedule": 60.0},
        "invitations-send-reminders": {"task": "surveys.tasks.invitations_send_reminders", "schedule": 300.0},
        "invitations-expire": {"task": "surveys.tasks.invitations_expire", "schedule": 600.0},
    }
)

# Detractor / complaint alerts whose message was lost or never published (broker down) are
# enqueued again by this sweep: responses submitted between GRACE seconds and WINDOW seconds ago.
ALERT_SWEEP_GRACE_SECONDS = env.int("ALERT_SWEEP_GRACE_SECONDS", default=60)
ALERT_SWEEP_WINDOW_SECONDS = env.int("ALERT_SWEEP_WINDOW_SECONDS", default=24 * 3600)
ALERT_SWEEP_BATCH = env.int("ALERT_SWEEP_BATCH", default=500)
CELERY_BEAT_SCHEDULE["responses-sweep-alerts"] = {"task": "surveys.tasks.responses_sweep_alerts", "schedule": 60.0}

# --- Reports (issue 5) ------------------------------------------------------------------
INSTALLED_APPS += ["rest_framework", "drf_spectacular"]
REST_FRAMEWORK = {
    # Only what cannot live on a view. Authentication, permission and renderers are set on the
    # product's own API views (surveys/api/views.py), so a project that also runs other DRF
    # apps (django-helpdesk's ticket list and timeline) keeps DRF's defaults for those.
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer surveys: metrics API",
    "DESCRIPTION": "CSAT, NPS, CES, complaint rate and service levels (see docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}
from celery.schedules import crontab  # noqa: E402
from csp.constants import NONCE, NONE, SELF  # noqa: E402

# The weekly digest to managers, at 07:00 site time (day_of_week 1 = Monday).
REPORT_DIGEST_WEEKDAY = env.int("REPORT_DIGEST_WEEKDAY", default=1)
CELERY_BEAT_SCHEDULE["reports-weekly-digest"] = {
    "task": "surveys.tasks.reports_send_weekly_digest",
    "schedule": crontab(minute=0, hour=7, day_of_week=REPORT_DIGEST_WEEKDAY),
}
# Daily rollups behind the reports (surveys/reports/rollups_write.py, docs/metrics.md): beat
# refreshes the days whose rows changed; days before the last refresh are read from the
# rollups, later ones live. REPORT_ROLLUPS=0 reads every figure from the source rows.
REPORT_ROLLUPS = env.bool("REPORT_ROLLUPS", default=True)
REPORT_ROLLUP_REFRESH_SECONDS = env.float("REPORT_ROLLUP_REFRESH_SECONDS", default=120.0)
# Rows written by transactions that committed up to this long after they set updated_at
# are still picked up by the next refresh.
REPORT_ROLLUP_OVERLAP_SECONDS = env.int("REPORT_ROLLUP_OVERLAP_SECONDS", default=600)
# A refresh claims the work for this long; longer than the task's hard time limit.
REPORT_ROLLUP_LEASE_SECONDS = env.int("REPORT_ROLLUP_LEASE_SECONDS", default=900)
# Rollups older than this are not trusted: reports read the source rows until beat is back.
REPORT_ROLLUP_MAX_AGE_SECONDS = env.int("REPORT_ROLLUP_MAX_AGE_SECONDS", default=6 * 3600)
CELERY_BEAT_SCHEDULE["reports-refresh-rollups"] = {
    "task": "surveys.tasks.reports_refresh_rollups",
    "schedule": REPORT_ROLLUP_REFRESH_SECONDS,
}
# Nightly full rebuild: also catches what no updated_at shows (deletions, segment changes).
CELERY_BEAT_SCHEDULE["reports-rebuild-rollups"] = {
    "task": "surveys.tasks.reports_rebuild_rollups",
    "schedule": crontab(minute=30, hour=env.int("REPORT_ROLLUP_REBUILD_HOUR", default=3)),
}

# --- Ingest (issue 3) ---
# Stored ticket events are applied by workers in batches (issue 12): nudged after each
# webhook commit, and swept by beat so nothing waits on a lost message.
TICKET_EVENTS_BATCH_SIZE = env.int("TICKET_EVENTS_BATCH_SIZE", default=500)
# One apply task works this long, then hands over to a fresh one (under the soft time limit).
TICKET_EVENTS_APPLY_SECONDS = env.int("TICKET_EVENTS_APPLY_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["ticket-events-apply"] = {
    "task": "surveys.tasks.ticket_events_apply",
    "schedule": env.float("TICKET_EVENTS_SWEEP_SECONDS", default=5.0),
}
# A webhook call enqueues due invitations right after its commit. When the broker is down that
# publish must fail fast, not hold the sender's request: the invitation is already in the
# database and the beat sweep sends it once the broker is back.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env.int("CELERY_PUBLISH_MAX_RETRIES", default=2),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A blackholed broker host would otherwise block connect() for the OS default (minutes).
    CELERY_BROKER_TRANSPORT_OPTIONS.setdefault(
        "socket_connect_timeout", env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0)
    )

# --- Scanner clicks (issue 10; rules and the reasoning behind each default in
# docs/scanner-clicks.md) ---
# A one-click score stays provisional this long: a later click of the same email can still
# set it aside. It counts once the window has passed (beat settles it every minute).
SCANNER_WINDOW_SECONDS = env.int("SCANNER_WINDOW_SECONDS", default=120)
# Score links of one email opened this close together are one burst: two different scores
# in a burst, or every score link, set the burst aside.
SCANNER_SWEEP_SECONDS = env.int("SCANNER_SWEEP_SECONDS", default=10)
# A score link opened sooner than this after the email (or its reminder) was sent is set aside.
SCANNER_MIN_SECONDS_AFTER_SEND = env.int("SCANNER_MIN_SECONDS_AFTER_SEND", default=10)
# Case-insensitive parts of a user agent that only automated browsers send.
SCANNER_USER_AGENTS = env.list("SCANNER_USER_AGENTS", default=["HeadlessChrome", "PhantomJS"])
if not 0 <= SCANNER_SWEEP_SECONDS <= SCANNER_WINDOW_SECONDS or SCANNER_MIN_SECONDS_AFTER_SEND < 0:
    raise ImproperlyConfigured(
        "SCANNER_SWEEP_SECONDS must be between 0 and SCANNER_WINDOW_SECONDS (a burst is judged while "
        "its clicks are still provisional), and SCANNER_MIN_SECONDS_AFTER_SEND at least 0."
    )
CELERY_BEAT_SCHEDULE["score-clicks-settle"] = {"task": "surveys.tasks.score_clicks_settle", "schedule": 60.0}
# --- Alerts (issue 16, docs/alerts.md) ----------------------------------------------------
# Beat evaluates every active alert rule this often.
ALERT_EVALUATE_SECONDS = env.float("ALERT_EVALUATE_SECONDS", default=300.0)
# One copy of an alert (an email or a webhook POST) is tried this many times, with backoff,
# before it is marked failed; a webhook gets this long to answer.
ALERT_DELIVERY_MAX_ATTEMPTS = env.int("ALERT_DELIVERY_MAX_ATTEMPTS", default=6)
ALERT_WEBHOOK_TIMEOUT_SECONDS = env.float("ALERT_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# A detractor or complaint that only one-clicked alerts once its last click is this old (no
# longer provisional); clicks older than MAX_AGE_HOURS are never alerted on.
ONE_CLICK_ALERT_DELAY_SECONDS = env.int("ONE_CLICK_ALERT_DELAY_SECONDS", default=300)
# Follow-up SLA: a case opened for a detractor or complaint is due this many hours later
# (docs/follow-ups.md); past it, an open case counts as overdue.
FOLLOWUP_DUE_HOURS = env.int("FOLLOWUP_DUE_HOURS", default=48)
ONE_CLICK_ALERT_MAX_AGE_HOURS = env.int("ONE_CLICK_ALERT_MAX_AGE_HOURS", default=7 * 24)
CELERY_BEAT_SCHEDULE["alerts-evaluate"] = {"task": "surveys.tasks.alerts_evaluate", "schedule": ALERT_EVALUATE_SECONDS}
CELERY_BEAT_SCHEDULE["alerts-one-click-sweep"] = {"task": "surveys.tasks.one_click_alerts_sweep", "schedule": 60.0}
# --- Privacy and staff security (issue 11; docs/privacy.md, docs/deploy.md) ------------
# Free text, ticket subjects, event payloads, follow-up notes and invitation errors older than
# this many days are anonymised nightly; 0 keeps them until a customer is erased.
RETENTION_DAYS = env.int("RETENTION_DAYS", default=0)
if RETENTION_DAYS < 0:
    raise ImproperlyConfigured("RETENTION_DAYS must be 0 (off) or a number of days.")
CELERY_BEAT_SCHEDULE["personal-data-retention"] = {
    "task": "surveys.tasks.personal_data_retention",
    "schedule": crontab(minute=15, hour=env.int("RETENTION_HOUR", default=2)),
}

# Survey and opt-out tokens never reach a log line: every handler masks them, and Django's own
# loggers (request warnings, runserver's access lines) go through that handler.
LOGGING["filters"] = {"mask_tokens": {"()": "surveys_project.logmask.TokenMaskFilter"}}
LOGGING["handlers"]["console"]["filters"] = ["mask_tokens"]
LOGGING["loggers"] = {
    "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
}

# Failed staff logins (django-axes): after AXES_FAILURE_LIMIT failures from one client IP, or
# for one username from anywhere, logins are refused for AXES_COOLOFF_MINUTES, the right
# password included. `manage.py axes_reset` lifts a lockout at once.
INSTALLED_APPS += ["axes", "csp"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "surveys.ratelimit.client_ip"  # X-Forwarded-For only from TRUSTED_PROXIES
AXES_RESET_ON_SUCCESS = True
# Content-Security-Policy on every response (django-csp): scripts only from our static files
# (or an inline one carrying the request's nonce), styles only from static files, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # A nonce only where a page asks for one: the customer pages' brand colours (one <style>).
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# AxesMiddleware last, as django-axes requires.
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]

# --- Outbound events (issue 17; docs/api.md, "Outbound events") -----------------------
# A delivery is tried at most this many times; the waits between tries grow from the base
# threefold (1 min, 3, 9, 27, 81 min, 4 h, 12 h: the 8th try ~18 h after the first).
OUTBOUND_MAX_ATTEMPTS = env.int("OUTBOUND_MAX_ATTEMPTS", default=8)
OUTBOUND_RETRY_BASE_SECONDS = env.float("OUTBOUND_RETRY_BASE_SECONDS", default=60.0)
OUTBOUND_RETRY_MAX_SECONDS = env.float("OUTBOUND_RETRY_MAX_SECONDS", default=12 * 3600.0)
# A receiver gets this long to answer (connect and read each).
OUTBOUND_TIMEOUT_SECONDS = env.float("OUTBOUND_TIMEOUT_SECONDS", default=10.0)
# Receivers on loopback, private, link-local or reserved addresses are refused (a subscription
# must not reach the internal network) unless this is set, e.g. for a receiver on the same host.
OUTBOUND_ALLOW_PRIVATE = env.bool("OUTBOUND_ALLOW_PRIVATE", default=False)
# A retry due within this many seconds is re-enqueued with a countdown; later ones are left to
# the sweep (a countdown longer than the broker's visibility timeout would be delivered twice).
OUTBOUND_COUNTDOWN_MAX_SECONDS = env.int("OUTBOUND_COUNTDOWN_MAX_SECONDS", default=600)
if OUTBOUND_COUNTDOWN_MAX_SECONDS >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("OUTBOUND_COUNTDOWN_MAX_SECONDS must be below CELERY_VISIBILITY_TIMEOUT.")
CELERY_BEAT_SCHEDULE["outbound-sweep"] = {"task": "surveys.tasks.outbound_sweep", "schedule": 60.0}
