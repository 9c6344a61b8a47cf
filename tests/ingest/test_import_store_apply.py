"""The CSV import's batch: stored and applied in one transaction, with no claim and no read-back
(services/ticket_events.events_store_apply), and what it does when another sender stores one of
its events meanwhile."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from surveys.ingest.schema import event_parse
from surveys.management.commands.import_tickets import Command
from surveys.models import Invitation, Ticket, TicketEvent, TicketEventStatus
from surveys.services.ticket_events import event_from, events_store_apply
from tests.factories import CampaignFactory
from tests.ingest.helpers import event
from tests.ingest.test_import_tickets import HEADER, row, run, write_csv

pytestmark = pytest.mark.django_db


def parsed(*payloads):
    return [event_parse(p, decoded=True) for p in payloads]


def test_store_apply_settles_the_events_it_stores_without_reading_them_back():
    batch = parsed(event(event_id="e1", ticket={"id": "T-1"}), event(event_id="e2", ticket={"id": "T-2"}))
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        events = events_store_apply(batch)

    assert [(e.event_id, e.status) for e in events] == [("e1", "applied"), ("e2", "applied")]
    stored = {e.event_id: e for e in TicketEvent.objects.all()}
    assert {k: (e.pk, e.status) for k, e in stored.items()} == {e.event_id: (e.pk, e.status) for e in events}
    assert stored["e1"].ticket == Ticket.objects.get(external_id="T-1")
    # No claim (SELECT … FOR UPDATE or a claim UPDATE) and no read of the events it stored.
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "ticketevent" in q["sql"]]
    assert reads == []
    claims = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and '"claim_token" =' in q["sql"]]
    assert claims == []


def test_store_apply_with_an_event_already_stored_writes_nothing():
    event_from(parsed(event(event_id="e2"))[0]).save()
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            events_store_apply(parsed(event(event_id="e1"), event(event_id="e2", ticket={"id": "T-2"})))
        assert TicketEvent.objects.count() == 1  # the caller's transaction goes on
    assert list(TicketEvent.objects.values_list("event_id", "status")) == [("e2", TicketEventStatus.STORED)]
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)  # no test transaction around it: the caller has none
def test_store_apply_needs_the_callers_transaction():
    with pytest.raises(RuntimeError, match="transaction"):
        events_store_apply(parsed(event(event_id="e1")))
    assert not TicketEvent.objects.exists()


def test_a_row_another_sender_stored_meanwhile_is_a_duplicate_and_the_rest_is_imported(tmp_path, monkeypatch):
    CampaignFactory(delay_minutes=0, throttle_days=0)
    first = write_csv(tmp_path, [row("T-2")], name="first.csv")
    run(first, "--no-invitations")  # T-2's row: now stored (and applied) by "another sender"
    seen = []
    real = Command._already_stored

    def checked_before_the_other_sender(payloads):
        # The batch's first check runs before the other sender's insert: it finds nothing.
        seen.append(1)
        return set() if len(seen) == 1 else real(payloads)

    monkeypatch.setattr(Command, "_already_stored", staticmethod(checked_before_the_other_sender))
    out, _ = run(write_csv(tmp_path, [row("T-1"), row("T-2"), row("T-3")], name="second.csv"))

    assert "line 3: duplicate: event csv-" in out
    assert out.strip().endswith("accepted 2, duplicate 1, rejected 0")
    assert len(seen) == 2  # the insert failed on T-2's key; the batch was stored again without it
    applied = TicketEvent.objects.filter(status=TicketEventStatus.APPLIED)
    assert sorted(applied.values_list("ticket__external_id", flat=True)) == ["T-1", "T-2", "T-3"]
    assert TicketEvent.objects.count() == 3
    # The second file's new tickets are surveyed; T-2, the other sender's, was imported without.
    assert sorted(Invitation.objects.values_list("ticket__external_id", flat=True)) == ["T-1", "T-3"]


def test_an_event_that_fails_to_apply_is_rejected_with_its_error_and_stays_failed(tmp_path):
    header = ["occurred_at", *HEADER]
    opened = row("T-9", occurred_at="2026-11-20T08:00:00Z", first_response_at="", resolved_at="", closed_at="")
    run(write_csv(tmp_path, [opened], header=header, name="first.csv"))
    # Newer than the stored ticket, closed before it opened: only applying it can tell.
    early = row("T-9", occurred_at="2026-11-21T08:00:00Z", opened_at="", first_response_at="", resolved_at="",
                closed_at="2026-11-01T00:00:00Z")  # fmt: skip
    out, _ = run(write_csv(tmp_path, [early, row("T-10")], header=header, name="second.csv"))

    assert "line 2: rejected: " in out
    assert out.strip().endswith("accepted 1, duplicate 0, rejected 1")
    failed = TicketEvent.objects.get(status=TicketEventStatus.FAILED)
    assert failed.last_error and failed.last_error in out
    assert Ticket.objects.filter(external_id="T-10").exists()


def test_a_value_the_database_refuses_rejects_the_batch_with_the_reason(tmp_path, monkeypatch):
    from surveys.services import ticket_events

    def refused(data):  # a value validation let through and a constraint refuses
        made = event_from(data)
        made.type = "ticket.unknown"
        return made

    monkeypatch.setattr(ticket_events, "event_from", refused)
    out, _ = run(write_csv(tmp_path, [row("T-1"), row("T-2")]))

    assert "line 2: rejected: the database refused a value: " in out
    assert "line 3: rejected: the database refused a value: " in out
    assert out.strip().endswith("accepted 0, duplicate 0, rejected 2")
    assert not TicketEvent.objects.exists() and not Ticket.objects.exists()


def test_two_rows_of_one_event_id_in_a_batch_report_the_second_a_duplicate(tmp_path):
    # The ids differ in the file only by spaces around them, which reading the cell strips.
    header = ["event_id", *HEADER]
    rows = [row("T-1", event_id="e-1"), row("T-2", event_id=" e-1 "), row("T-3", event_id="e-3")]
    out, _ = run(write_csv(tmp_path, rows, header=header))

    assert "line 3: duplicate: event e-1 is already stored" in out
    assert out.strip().endswith("accepted 2, duplicate 1, rejected 0")
    assert sorted(TicketEvent.objects.values_list("event_id", flat=True)) == ["e-1", "e-3"]
