"""The transaction every report reads in: one snapshot, the rollups' state read once, and
PostgreSQL settings tuned for a few large, short queries."""

from contextlib import contextmanager

from django.db import transaction

from ..plans import CUSTOM_PLANS
from ..replica import reports_connection, reports_reads
from .rollups_read import coverage_scope

# Report queries are few, large and short: PostgreSQL's JIT compiler spends longer compiling
# them (seconds, measured in bench/bench_reports.py) than they take to run, and sorts for
# percentiles and exports spill to disk at the default work_mem. Each is planned for its own
# values (surveys/plans.py): a prepared statement's generic plan cannot see a period's length
# or a median's rank, and for the non-response check's median walk over two years it took
# 9-14 ms against 1 ms (bench/bench_prepared.py). The settings are LOCAL: they end with the
# transaction and never leak to other requests on a pooled connection. set_config(…, true) is
# SET LOCAL, all in one statement.
REPORT_SESSION_SQL = f"SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), {CUSTOM_PLANS}"


@contextmanager
def report_transaction(read_live_once: tuple[str, ...] = ()):
    """A read transaction tuned for report queries (a plain block on other databases), in
    which the rollups' state is read once (``rollups_read.coverage_scope``), and so are the
    live days of the record kinds ``read_live_once`` names (those a page asks many figures
    of: reports/live.py). On the reports replica when one is configured (surveys/replica.py):
    the ORM's reads through the router, raw report SQL through ``reports_connection()``."""
    with reports_reads():
        db = reports_connection()
        if db.vendor != "postgresql":
            with coverage_scope(read_live_once):
                yield
            return
        outermost = not db.in_atomic_block
        with transaction.atomic(using=db.alias), coverage_scope(read_live_once):
            with db.cursor() as cursor:
                if outermost:
                    # One snapshot for the whole report: figures read from rollups in several
                    # statements (a median's count, then its rank) cannot straddle a refresh.
                    # REPEATABLE READ is allowed on a hot standby too.
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(REPORT_SESSION_SQL)
            yield
