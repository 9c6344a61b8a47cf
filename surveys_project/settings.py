"""Settings, all from environment variables with safe defaults: the product's own tunables here,
Django's and Celery's in settings_base.py.

The defaults give an embedded setup that needs nothing installed (SQLite, a filesystem
Celery broker, a file cache, console email). Production sets ``DEBUG=0``, ``SECRET_KEY``,
``DATABASE_URL``, ``REDIS_URL`` and ``EMAIL_URL``; see the configuration table in README.md.
"""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from .settings_base import *  # noqa: F403 - Django, database, cache, email, security, Celery
from .settings_base import (
    CELERY_BEAT_SCHEDULE,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_BROKER_URL,
    CELERY_TASK_SOFT_TIME_LIMIT,
    CELERY_VISIBILITY_TIMEOUT,
    EMAIL_TIMEOUT,
    INSTALLED_APPS,
    INVITATION_SENDING_LEASE_SECONDS,
    LOGGING,
    MIDDLEWARE,
    env,
)

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
# A process checks that an apply task is pending at most once in this many seconds, in a
# thread of its own, for all the events it stored meanwhile (surveys/tasks/nudger.py); 0 checks
# in the request, once per stored event (a Redis round trip each).
TICKET_EVENTS_NUDGE_SECONDS = env.float("TICKET_EVENTS_NUDGE_SECONDS", default=0.05)
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
# The survey page's questions, per questionnaire version, in Django's cache this long
# (surveys/selectors.py, survey_questions); 0 reads them from the database on every request.
SURVEY_QUESTIONS_CACHE_SECONDS = env.int("SURVEY_QUESTIONS_CACHE_SECONDS", default=24 * 3600)
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
# Pages get it from django-csp's middleware; the webhooks' and APIs' answers the same header
# built once (surveys/csp.py).
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
MIDDLEWARE += ["surveys.csp.SiteCSPMiddleware", "axes.middleware.AxesMiddleware"]

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
