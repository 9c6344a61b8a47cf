"""Which PostgreSQL plan a prepared statement runs (DATABASE_PREPARED_STATEMENTS, docs/deploy.md).

After a statement's fifth run on a connection, PostgreSQL may settle on a generic plan, made
once without the values. That is what saves the survey and the webhook their planning: their
statements fetch a row or two by key. It is a trap for a statement over a batch, whose best plan
depends on the values and on a table that may have grown since the plan was made. Applying
events, for example, looks up 500 tickets by key in each batch. On a table filling from empty
(a new installation's first backlog), the plan fixed while the table was small took 83 ms a
batch, against 3 ms planned for its values, and two workers' apply rate fell by half
(bench/bench_ingest.py apply).

So the batch work and the reports plan every statement for their own values, and only inside
their transaction: ``CUSTOM_PLANS`` is a ``SET LOCAL``, which ends with the transaction and
never reaches another request on the same connection.

A batch that writes must also hand the setting back before it commits. PostgreSQL checks a
foreign key (deferred, as Django declares them) when the transaction commits, with one small
prepared query per written row and key; planned afresh each time, those checks made an
imported CSV row cost the server 1.67 M instructions instead of 1.02 M
(bench/bench_instructions_hot.py import --server, docs/benchmarks.md). ``plans_for_values``
is therefore a block, not a switch.
"""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

# set_config(…, true) is SET LOCAL; a fragment of a SELECT, so the reports send it together
# with their other settings in one statement.
CUSTOM_PLANS = "set_config('plan_cache_mode', 'force_custom_plan', true)"


@contextmanager
def plans_for_values(using: str = DEFAULT_DB_ALIAS):
    """Inside the caller's transaction, on PostgreSQL: plan every statement of the block for
    its values; the plan cache mode in force before is back when the block ends, before the
    transaction commits and checks its foreign keys. Nothing on other databases.

    An exception leaves the setting as it is: the transaction it broke cannot run a statement,
    and the setting ends with it (or with the savepoint rolled back around it)."""
    db = connections[using]
    if db.vendor != "postgresql":
        yield
        return
    if not db.in_atomic_block:
        raise RuntimeError("plans_for_values() needs a transaction: outside one, SET LOCAL does nothing.")
    with db.cursor() as cursor:
        cursor.execute(f"SELECT current_setting('plan_cache_mode'), {CUSTOM_PLANS}")
        before = cursor.fetchone()[0]
    yield
    with db.cursor() as cursor:
        cursor.execute("SELECT set_config('plan_cache_mode', %s, true)", [before])
