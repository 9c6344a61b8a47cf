"""manage.py check_bounds [--repair]: rows stored outside the bounds before issue 11."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from surveys.models import Ticket, TicketEvent
from surveys.services.tickets import ticket_event_record

from .helpers import event

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("check_bounds", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def ticket():
    return ticket_event_record(payload=event(), create_invitations=False).ticket


@pytest.mark.postgres
def test_year_one_rows_inserted_by_raw_sql_are_found_without_reading_them_then_repaired(ticket):
    # What an older version stored for "0001-01-01T00:00:00+14:00": year 1 BC in UTC.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO surveys_ticketevent (source, event_id, type, occurred_at, ticket_id, payload, "
            "received_at) VALUES ('old', 'evt-bc', 'ticket.closed', "
            "'0001-01-01T00:00:00+14:00'::timestamptz, %s, %s, now()) RETURNING id",
            [ticket.pk, json.dumps({"event_id": "evt-bc"})],
        )
        (event_id,) = cursor.fetchone()
        cursor.execute(
            "UPDATE surveys_ticket SET opened_at = '0001-01-01T00:00:00+14:00'::timestamptz WHERE id = %s",
            [ticket.pk],
        )
    with pytest.raises(Exception, match="year"):  # what broke every admin page listing it
        list(TicketEvent.objects.filter(pk=event_id))

    with pytest.raises(CommandError, match="2 value"):
        report = _run()
    report = _run("--repair")

    assert f"surveys.TicketEvent.occurred_at: 1 row(s) outside the window; ids: {event_id}" in report
    assert f"surveys.Ticket.opened_at: 1 row(s) outside the window; ids: {ticket.pk}" in report
    repaired = TicketEvent.objects.get(pk=event_id)
    assert repaired.occurred_at == datetime(2000, 1, 1, tzinfo=UTC)
    fixed = Ticket.objects.get(pk=ticket.pk)
    assert fixed.opened_at == datetime(2000, 1, 1, tzinfo=UTC)
    # The duration follows the clamped opening (and fits its 32-bit column).
    assert fixed.resolution_s == int((fixed.resolved_at - fixed.opened_at).total_seconds())
    assert "within bounds" in _run()


def test_too_late_values_are_clamped_inside_the_window_keeping_their_order(ticket):
    late = datetime(2150, 1, 1, tzinfo=UTC)  # ticket opened 2026-11-23
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=late, resolved_at=late - timedelta(hours=1))

    with pytest.raises(CommandError, match="run with --repair"):
        _run()
    _run("--repair")

    fixed = Ticket.objects.get(pk=ticket.pk)
    last = datetime(2100, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
    assert fixed.closed_at == fixed.resolved_at == last
    assert fixed.closed_at >= fixed.opened_at
    assert fixed.resolution_s is None  # 73 years: more than its 32-bit column holds


def test_clean_database_reports_nothing_and_changes_nothing(ticket):
    before = Ticket.objects.values().get()
    assert "within bounds" in _run()
    assert "within bounds" in _run("--repair")
    assert Ticket.objects.values().get() == before
