"""Reports on a read replica (docs/deploy.md, "A read replica for the reports").

With ``REPORTS_DATABASE_URL`` set, settings add a ``reports`` database and install
``ReportsRouter``. Code that reads reports runs inside ``reports_reads()`` (the dashboard,
the summary, My scores, the metrics API, exports and the weekly digest); there, every ORM read
goes to the replica. Everything else — the survey, the webhook, the admin, and every write,
reports' own writes included (the export log) — stays on the primary. Without the setting
nothing changes: the router answers None and Django uses ``default``.

The marker is a context variable, not a thread-local: it follows the request's own context, and
a streaming export sets it inside its generator, which runs after the view has returned.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPORTS = "reports"

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


def replica_configured() -> bool:
    return REPORTS in settings.DATABASES


@contextmanager
def reports_reads() -> Iterator[None]:
    """Send the ORM reads made inside to the reports replica, when one is configured."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def reports_alias() -> str:
    """The database alias report reads use here: the replica inside ``reports_reads()``."""
    return REPORTS if _reading_reports.get() and replica_configured() else DEFAULT_DB_ALIAS


def reports_connection():
    """The connection for raw report SQL (the ORM finds its way through the router)."""
    return connections[reports_alias()]


def reads_reports(view):
    """A view decorator: the whole view reads through ``reports_reads()``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with reports_reads():
            return view(*args, **kwargs)

    return wrapper


class ReportsRouter:
    """Reads inside ``reports_reads()`` go to the replica; nothing is ever written or migrated
    there (a streaming replica is read-only and receives the schema from its primary)."""

    def db_for_read(self, model, **hints):
        if _reading_reports.get() and replica_configured():
            return REPORTS
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same database: an object read from the replica may be related to
        # one from the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPORTS


LAG_SQL = (
    # On a replica: how far behind its primary it is. Zero when it has replayed everything it has
    # received (an idle primary writes nothing, so the last replayed commit can be old while the
    # replica is fully up to date). NULL on a server that is not in recovery.
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


def replica_lag_seconds() -> float | None:
    """The replica's lag behind the primary in seconds; None without a replica, when the
    reports database is not a PostgreSQL replica, or when it cannot be asked."""
    if not replica_configured():
        return None
    connection = connections[REPORTS]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError:
        return None
    return None if lag is None else max(0.0, float(lag))
