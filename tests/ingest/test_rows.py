"""surveys.rows: precompiled single-row SQL that reads and writes exactly as the ORM does."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from surveys import rows
from surveys.models import Customer, Ticket, TicketEvent, TicketStatus
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def select(model, pk):
    table = rows.quote(model._meta.db_table)
    (row,) = rows.fetch(f"SELECT {rows.columns(model)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
    return rows.instance(model, row)


def test_instance_converts_values_as_the_orm_does():
    ticket = TicketFactory(is_complaint=True, opened_at=T0, status=TicketStatus.RESOLVED, closed_at=None)
    event = TicketEvent.objects.create(
        source="s", event_id="e", type="ticket.closed", occurred_at=T0, ticket=ticket, payload={"a": [1, "x"]}
    )
    loaded = select(Ticket, ticket.pk)
    assert loaded == ticket and loaded._state.adding is False
    assert loaded.is_complaint is True
    assert loaded.opened_at == T0 and loaded.opened_at.tzinfo is not None
    assert loaded.closed_at is None
    assert select(TicketEvent, event.pk).payload == {"a": [1, "x"]}


def test_insert_sets_the_pk_and_auto_now_fields():
    customer = Customer(email="a@example.org", name="A")
    assert rows.insert(customer) is True
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.email == "a@example.org" and stored.created_at is not None
    assert stored.created_at == customer.created_at


def test_insert_on_conflict_do_nothing_writes_nothing_and_says_so():
    CustomerFactory(email="a@example.org")
    twin = Customer(email="A@Example.org")
    assert rows.insert(twin, on_conflict="((LOWER(email))) DO NOTHING") is False
    assert twin.pk is None
    assert Customer.objects.count() == 1


def test_insert_raises_djangos_integrity_error():
    ticket = TicketFactory()
    twin = Ticket(
        source=ticket.source, external_id=ticket.external_id, customer=ticket.customer, opened_at=T0
    )
    with pytest.raises(IntegrityError):
        rows.insert(twin)


def test_update_writes_the_named_fields_and_auto_now_only():
    ticket = TicketFactory(subject="Old", category="billing")
    stale = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(category="shipping")  # someone else's change
    stale.subject = "New"
    rows.update(stale, ["subject"])
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.subject, stored.category) == ("New", "shipping")
    assert stored.updated_at > ticket.updated_at


def test_statements_are_logged_with_their_values_like_orm_queries():
    customer = CustomerFactory(email="logged@example.org")
    with CaptureQueriesContext(connection) as queries:
        select(Customer, customer.pk)
    (query,) = queries.captured_queries
    assert query["sql"].startswith("SELECT") and str(customer.pk) in query["sql"]


@pytest.mark.postgres
def test_statements_are_prepared_on_postgresql_and_orm_queries_are_not(settings):
    select(Customer, CustomerFactory().pk)
    list(Customer.objects.filter(name="orm"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any(statement.startswith(f"SELECT {rows.columns(Customer)}") for statement in prepared)
    assert not any("orm" in statement for statement in prepared)


@pytest.mark.postgres
def test_prepared_statements_can_be_switched_off(settings):
    settings.INGEST_PREPARED_STATEMENTS = False
    connection.connection.prepare_threshold = None  # a fresh connection
    rows.fetch("SELECT %s::int + 41", [1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%+ 41%%'")
        assert cursor.fetchone()[0] == 0
