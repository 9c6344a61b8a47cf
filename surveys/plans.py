"""Which PostgreSQL plan a prepared statement runs (DATABASE_PREPARED_STATEMENTS, docs/deploy.md).

After a statement's fifth run on a connection, PostgreSQL may settle on a generic plan, made
once without the values. That is what saves the survey and the webhook their planning: their
statements fetch a row or two by key. It is a trap for a statement over a batch, whose best plan
depends on the values and on a table that may have grown since the plan was made. Applying
events, for example, looks up 500 tickets by key in each batch. On a table filling from empty
(a new installation's first backlog), the plan fixed while the table was small took 83 ms a
batch, against 3 ms planned for its values, and two workers' apply rate fell by half
(bench/bench_ingest.py apply).

So the batch work and the reports plan every statement for its own values, and only inside
their transaction: ``CUSTOM_PLANS`` is a ``SET LOCAL``, which ends with the transaction and
never reaches another request on the same connection.
"""

from django.db import DEFAULT_DB_ALIAS, connections

# set_config(…, true) is SET LOCAL; a fragment of a SELECT, so the reports send it together
# with their other settings in one statement.
CUSTOM_PLANS = "set_config('plan_cache_mode', 'force_custom_plan', true)"


def plans_for_values(using: str = DEFAULT_DB_ALIAS) -> None:
    """Inside the caller's transaction, on PostgreSQL: plan every statement for its values
    until the transaction ends. Nothing on other databases."""
    db = connections[using]
    if db.vendor != "postgresql":
        return
    if not db.in_atomic_block:
        raise RuntimeError("plans_for_values() needs a transaction: outside one, SET LOCAL does nothing.")
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {CUSTOM_PLANS}")
