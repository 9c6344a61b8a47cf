"""PostgreSQL prepared statements (docs/deploy.md): on by default, off with
DATABASE_PREPARED_STATEMENTS=0 (Django's own default), never asked of SQLite."""

import pytest
from django.db import connection, connections

from surveys.models import TicketEvent
from tests.fresh_process import fresh_settings

PG = "postgres://app@db.example.com:5432/surveys"


def _options(**env) -> dict:
    """Each database alias's OPTIONS, from settings built in a fresh process (no connection)."""
    drop = {"DATABASE_URL", "REPORTS_DATABASE_URL", "DATABASE_PREPARED_STATEMENTS"}
    return fresh_settings("{k: v.get('OPTIONS', {}) for k, v in s.DATABASES.items()}", drop=drop, **env)


def test_postgres_sends_parameters_apart_and_prepares_repeated_statements():
    options = _options(DATABASE_URL=PG, REPORTS_DATABASE_URL=PG.replace("db.", "replica."))
    for alias in ("default", "reports"):
        assert options[alias]["server_side_binding"] is True
        assert options[alias]["prepare_threshold"] == 5


def test_switched_off_postgres_is_left_to_djangos_defaults():
    options = _options(DATABASE_URL=PG, REPORTS_DATABASE_URL=PG, DATABASE_PREPARED_STATEMENTS="0")
    for alias in ("default", "reports"):
        assert "server_side_binding" not in options[alias]
        assert "prepare_threshold" not in options[alias]


def test_sqlite_keeps_its_own_options(tmp_path):
    options = _options(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert "server_side_binding" not in options["default"]
    assert options["default"]["transaction_mode"] == "IMMEDIATE"


def _prepared(db, statement_start: str) -> tuple[str, int, int] | None:
    """The statement the connection ``db`` prepared whose text starts so, with its generic and
    custom plan counts; None when it has prepared none."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            [statement_start + "%"],
        )
        return cursor.fetchone()


@pytest.fixture
def fresh_connections(transactional_db):
    """PostgreSQL connections with prepared statements on and nothing prepared yet: a kept
    connection carries other tests' prepared statements and their plan counts."""
    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        pytest.skip("DATABASE_PREPARED_STATEMENTS is off in this run")
    connections.close_all()


@pytest.mark.postgres
def test_a_query_run_five_times_on_a_connection_is_prepared_at_its_next_run(fresh_connections):
    start = 'SELECT "surveys_ticketevent"."id", "surveys_ticketevent"."source"'
    for n in range(4):
        list(TicketEvent.objects.filter(event_id=f"e{n}").only("source"))
    assert _prepared(connection, start) is None
    for n in range(4, 6):
        list(TicketEvent.objects.filter(event_id=f"e{n}").only("source"))
    # After five runs of the same text, whatever the values, the sixth is prepared, values apart.
    statement, _generic, _custom = _prepared(connection, start)
    assert "$1" in statement


@pytest.mark.postgres
def test_report_reads_plan_each_prepared_statement_for_its_own_values(fresh_connections):
    """Inside a report's transaction a prepared statement is planned for every run's values;
    outside it PostgreSQL settles on one generic plan once five custom ones cost no less."""
    from surveys.replica import reports_connection
    from surveys.reports.snapshot import report_transaction

    start = 'SELECT "surveys_ticketevent"."id", "surveys_ticketevent"."event_id"'

    def read(n):
        list(TicketEvent.objects.filter(event_id=f"r{n}").only("event_id"))

    with report_transaction():  # on the reports alias when REPORTS_DATABASE_URL is set
        for n in range(12):
            read(n)
        report_db = reports_connection()
        # Prepared at the 6th run: runs 6-12, each planned afresh.
        assert _prepared(report_db, start)[1:] == (0, 7)
    for n in range(12):
        read(n)
    _statement, generic, custom = _prepared(connection, start)
    assert generic > 0 and custom < 20


@pytest.mark.postgres
def test_applying_batches_plans_each_ticket_lookup_for_its_keys(fresh_connections):
    """A batch looks its tickets up by key. Planned once without the keys, on a table that grew
    since, the lookup took 83 ms a batch against 3 ms (surveys/plans.py); every batch plans it
    for its own keys, while the webhook's small statements keep their generic plans."""
    from surveys.services.ticket_events import events_apply_batch
    from surveys.services.tickets import ticket_event_accept
    from tests.ingest.helpers import event

    for n in range(12):  # one event a batch: the same statement text every time
        ticket_event_accept(payload=event(ticket={"id": f"P-{n}"}, customer={"email": f"p{n}@example.org"}))
        assert events_apply_batch().applied == 1
    lookup = 'SELECT "surveys_ticket"."id", "surveys_ticket"."source"'
    statement, generic, custom = _prepared(connection, lookup)
    assert "FOR UPDATE" in statement
    assert (generic, custom) == (0, 7)  # prepared at the 6th batch: batches 6-12, each planned afresh
    accepted = 'INSERT INTO "surveys_ticketevent"'
    assert _prepared(connection, accepted)[1] > 0  # outside a batch, generic plans as before


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_custom_plans_last_as_long_as_the_block_that_asked_for_them():
    from django.db import transaction

    from surveys.plans import plans_for_values

    if connection.vendor != "postgresql":
        with transaction.atomic(), plans_for_values():
            pass  # nothing to set on SQLite
        return

    before = _plan_cache_mode()  # PostgreSQL's default: auto
    with transaction.atomic():
        with plans_for_values():
            assert _plan_cache_mode() == "force_custom_plan" != before
        # Handed back before the commit, whose foreign-key checks run cached plans.
        assert _plan_cache_mode() == before
    assert _plan_cache_mode() == before  # the next request on this connection is not affected
    with pytest.raises(RuntimeError, match="needs a transaction"), plans_for_values():
        pass  # SET LOCAL outside a transaction would silently do nothing


@pytest.mark.django_db(transaction=True)
def test_the_block_hands_back_the_mode_it_found_and_an_error_ends_it_with_the_transaction():
    from django.db import transaction

    from surveys.plans import plans_for_values

    if connection.vendor != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")  # this connection's own choice
    try:
        with transaction.atomic():
            with plans_for_values():
                pass
            assert _plan_cache_mode() == "force_generic_plan"
        with pytest.raises(ValueError), transaction.atomic(), plans_for_values():
            raise ValueError("the block broke")
        assert _plan_cache_mode() == "force_generic_plan"  # rolled back with the transaction
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET plan_cache_mode")


@pytest.mark.django_db(transaction=True)
def test_applying_and_importing_events_commit_with_the_mode_they_found():
    """Planned afresh at the commit, the foreign-key checks of a batch's new rows made an
    imported row cost the server 1.67 M instructions instead of 1.02 M (docs/benchmarks.md)."""
    from django.db import transaction

    from surveys.ingest.schema import event_parse
    from surveys.services.ticket_events import events_apply_batch, events_store_apply
    from surveys.services.tickets import ticket_event_accept
    from tests.factories import CampaignFactory
    from tests.ingest.helpers import event

    if connection.vendor != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    CampaignFactory()
    ticket_event_accept(payload=event(ticket={"id": "M-1"}, customer={"email": "m1@example.org"}))
    with transaction.atomic():
        assert events_apply_batch().applied == 1
        assert _plan_cache_mode() == "auto"
    payload = event(ticket={"id": "M-2"}, customer={"email": "m2@example.org"})
    with transaction.atomic():
        (stored,) = events_store_apply([event_parse(payload)])
        assert stored.status == "applied"
        assert _plan_cache_mode() == "auto"
