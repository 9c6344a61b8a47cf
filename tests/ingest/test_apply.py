"""Stored events applied by the workers' service: claims, order per ticket, stale, failed and retried."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from surveys.models import Customer, Ticket, TicketEvent, TicketEventStatus, TicketStatus
from surveys.services import ticket_apply
from surveys.services.ticket_events import (
    events_apply_batch,
    events_claim_update,
    events_retry,
)
from surveys.services.tickets import ticket_event_accept

from .helpers import event, events_apply

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def accept(**fields) -> TicketEvent:
    result = ticket_event_accept(payload=event(**fields))
    assert result.created
    return result.event


def failed_close() -> TicketEvent:
    """A close dated before its stored ticket opened: only applying it can tell, and it fails."""
    accept(event_id="open-9", type="ticket.opened", ticket={"id": "T-9", "closed_at": None, "resolved_at": None})
    events_apply()
    bad = accept(event_id="bad", ticket={"id": "T-9", "opened_at": None, "first_response_at": None,
                                         "resolved_at": None, "closed_at": "2026-11-01T00:00:00Z"})
    events_apply_batch(now=NOW)
    bad.refresh_from_db()
    assert bad.status == TicketEventStatus.FAILED
    return bad


def test_accept_stores_only_and_a_redelivery_is_a_duplicate():
    payload = event(event_id="e1")
    first = ticket_event_accept(payload=payload)
    again = ticket_event_accept(payload=payload)
    assert (first.created, again.created) == (True, False)
    assert first.event.pk == again.event.pk
    assert TicketEvent.objects.get().status == TicketEventStatus.STORED
    assert not Ticket.objects.exists()


def test_events_of_one_ticket_stored_out_of_order_apply_in_occurred_at_order():
    # Stored newest first; one batch still applies opened, then resolved, then closed.
    accept(event_id="close", occurred_at="2026-11-24T10:00:00Z")
    accept(event_id="resolve", type="ticket.updated", occurred_at="2026-11-24T09:00:00Z",
           ticket={"closed_at": None, "subject": "Resolved subject"})
    accept(event_id="open", type="ticket.opened", occurred_at="2026-11-23T08:00:00Z",
           ticket={"first_response_at": None, "resolved_at": None, "closed_at": None, "subject": "First"})

    result = events_apply_batch(now=NOW)

    assert (result.claimed, result.applied, result.stale) == (3, 3, 0)
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.subject == "Printer on fire"  # the close's, the newest
    assert ticket.last_event_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert set(TicketEvent.objects.values_list("status", flat=True)) == {TicketEventStatus.APPLIED}


def test_event_older_than_the_applied_state_is_stale_and_changes_nothing():
    accept(event_id="new", ticket={"subject": "Newest"})
    events_apply()
    accept(event_id="old", type="ticket.updated", occurred_at="2026-11-24T09:00:00Z",
           ticket={"subject": "Stale", "closed_at": None})
    result = events_apply_batch(now=NOW)
    assert (result.applied, result.stale) == (0, 1)
    assert Ticket.objects.get().subject == "Newest"
    stale = TicketEvent.objects.get(event_id="old")
    assert (stale.status, stale.applied_at, stale.ticket) == (TicketEventStatus.STALE, None, Ticket.objects.get())


def test_contradiction_fails_that_event_only_keeping_its_error():
    accept(event_id="open", type="ticket.opened", ticket={"closed_at": None, "resolved_at": None})
    events_apply()
    bad = accept(event_id="bad", ticket={"opened_at": None, "first_response_at": None, "resolved_at": None,
                                         "closed_at": "2026-11-01T00:00:00Z"})
    good = accept(event_id="other", ticket={"id": "T-2"}, customer={"email": "other@example.org"})

    result = events_apply_batch(now=NOW)

    assert (result.applied, result.failed) == (1, 1)
    bad.refresh_from_db()
    assert bad.status == TicketEventStatus.FAILED and bad.attempts == 1
    assert "ticket.closed_at" in bad.last_error
    good.refresh_from_db()
    assert good.status == TicketEventStatus.APPLIED
    assert Ticket.objects.get(external_id="T-1001").status == TicketStatus.OPEN
    # Failed events are kept, never claimed again until retried.
    assert events_apply_batch(now=NOW + timedelta(hours=1)).claimed == 0
    assert TicketEvent.objects.filter(pk=bad.pk).exists()


def test_transient_error_leaves_the_event_stored_with_backoff_then_it_applies():
    stored = accept(event_id="e1")
    deadlock = OperationalError("deadlock detected")
    with mock.patch("surveys.services.ticket_events.db_error_is_transient", return_value=True), \
            mock.patch.object(ticket_apply, "ticket_merge", side_effect=deadlock):
        result = events_apply_batch(now=NOW)
    assert result.deferred == 1
    stored.refresh_from_db()
    assert stored.status == TicketEventStatus.STORED and stored.attempts == 1
    assert stored.next_attempt_at == NOW + timedelta(seconds=5)
    assert "deadlock" in stored.last_error
    assert not Customer.objects.exists()  # the attempt's writes were rolled back

    assert events_apply_batch(now=NOW + timedelta(seconds=4)).claimed == 0  # not due yet
    assert events_apply_batch(now=NOW + timedelta(seconds=5)).applied == 1
    stored.refresh_from_db()
    assert (stored.status, stored.last_error, stored.next_attempt_at) == (TicketEventStatus.APPLIED, "", None)


def test_retry_of_an_unchanged_contradiction_fails_again_counting_one_attempt():
    bad = failed_close()
    # Retrying unchanged fails the same way, and counts the attempt.
    assert events_retry(ids=[bad.pk]) == 1
    events_apply_batch(now=NOW)
    bad.refresh_from_db()
    assert (bad.status, bad.attempts) == (TicketEventStatus.FAILED, 1)


def test_admin_lists_failed_events_and_its_retry_action_requeues_them(admin_client):
    bad = failed_close()
    good = TicketEvent.objects.get(event_id="open-9")
    url = reverse("admin:surveys_ticketevent_changelist")

    page = admin_client.get(url, {"status__exact": "failed"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [TicketEvent.objects.get(pk=bad.pk)]

    response = admin_client.post(url, {"action": "events_retry_action", "_selected_action": [bad.pk, good.pk]})
    assert response.status_code == 302
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, bad.attempts) == (TicketEventStatus.STORED, 0)
    assert good.status == TicketEventStatus.APPLIED  # an applied event is left alone


def test_update_claim_takes_each_event_once_and_expired_claims_are_taken_over():
    """The SQLite claim (a conditional UPDATE), run here on whichever database the suite uses."""
    for n in range(5):
        accept(event_id=f"e{n}", ticket={"id": f"T-{n}"})
    first = events_claim_update(limit=3, now=NOW)
    second = events_claim_update(limit=3, now=NOW)
    assert len(first) == 3 and len(second) == 2
    assert not {e.pk for e in first} & {e.pk for e in second}
    assert events_claim_update(limit=3, now=NOW) == []
    # A worker that died holding its claim: the lease ends and another takes the events.
    taken_over = events_claim_update(limit=10, now=NOW + timedelta(minutes=6))
    assert len(taken_over) == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_skip_locked_claim_leaves_events_another_worker_holds():
    import threading

    for n in range(4):
        accept(event_id=f"e{n}", ticket={"id": f"T-{n}"})
    held, release, seen = threading.Event(), threading.Event(), []

    def other_worker():
        from django.db import connection as conn
        from django.db import transaction

        with transaction.atomic():
            seen.extend(
                TicketEvent.objects.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:2]
            )
            held.set()
            release.wait(10)
        conn.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    held.wait(10)
    try:
        result = events_apply_batch(now=NOW)
    finally:
        release.set()
        thread.join()
    assert result.claimed == 2
    applied = set(TicketEvent.objects.filter(status=TicketEventStatus.APPLIED).values_list("pk", flat=True))
    assert len(applied) == 2 and not applied & set(seen)


def test_a_bug_in_one_event_fails_that_event_and_the_batch_goes_on():
    accept(event_id="e1", ticket={"id": "T-1"})
    accept(event_id="e2", ticket={"id": "T-2"}, customer={"email": "two@example.org"})
    real = ticket_apply.ticket_merge

    def buggy(data, *args):
        if data.ticket.external_id == "T-1":
            raise KeyError("surprise")
        return real(data, *args)

    with mock.patch.object(ticket_apply, "ticket_merge", side_effect=buggy):
        result = events_apply_batch(now=NOW)
    assert (result.applied, result.failed) == (1, 1)
    failed = TicketEvent.objects.get(event_id="e1")
    assert failed.status == TicketEventStatus.FAILED and "KeyError" in failed.last_error
    assert list(Ticket.objects.values_list("external_id", flat=True)) == ["T-2"]


def test_the_update_claim_path_applies_and_leaves_no_claim(monkeypatch):
    """What SQLite runs (no SKIP LOCKED): claim by conditional UPDATE, apply, clear the token."""
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", False)
    accept(event_id="e1")
    result = events_apply_batch(now=NOW)
    assert result.applied == 1
    applied = TicketEvent.objects.get()
    assert (applied.status, applied.claim_token, applied.claimed_at) == (TicketEventStatus.APPLIED, None, None)
