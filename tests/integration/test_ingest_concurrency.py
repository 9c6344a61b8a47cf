"""Concurrent deliveries on PostgreSQL: the database, not luck, keeps ingest exactly-once."""

import threading

import pytest
from django.db import connection
from django.test import Client

from surveys.models import Customer, Invitation, Ticket, TicketEvent, TicketEventStatus, TicketStatus
from surveys.services.ticket_events import events_apply_batch
from surveys.services.tickets import ticket_event_accept
from tests.factories import CampaignFactory
from tests.ingest.helpers import SECRET, event, post_event

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.WEBHOOK_SECRET = SECRET


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # The broker is not under test here; the invitations' enqueue is counted instead.
    import surveys.tasks.sending as sending_tasks
    from surveys.tasks.ingest import ticket_events_apply

    calls = []
    monkeypatch.setattr(sending_tasks.invitation_send, "apply_async", lambda args, countdown=None: calls.append(args[0]))
    monkeypatch.setattr(ticket_events_apply, "apply_async", lambda *a, **k: None)  # the nudge
    return calls


def post_together(payloads) -> list[int]:
    """Post every payload from its own thread (own connection), released at the same moment."""
    barrier = threading.Barrier(len(payloads))
    statuses: list[int] = [0] * len(payloads)

    def worker(index, payload):
        try:
            barrier.wait()
            statuses[index] = post_event(Client(), payload).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, p)) for i, p in enumerate(payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


def test_same_event_five_times_at_once_stores_one_event_one_invitation_one_enqueue(_no_broker):
    CampaignFactory(delay_minutes=0)
    statuses = post_together([event(event_id="evt_race")] * 5)

    assert sorted(statuses) == [200, 200, 200, 200, 202]
    assert TicketEvent.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Invitation.objects.count() == 1
    assert _no_broker == [Invitation.objects.get().pk]


def test_different_first_events_of_one_new_ticket_at_once_make_one_ticket():
    opened = event(event_id="e-open", type="ticket.opened", occurred_at="2026-11-23T08:00:00Z",
                   ticket={"first_response_at": None, "resolved_at": None, "closed_at": None})
    closed = event(event_id="e-close")
    statuses = post_together([opened, closed])

    assert statuses == [202, 202]
    assert Ticket.objects.count() == 1
    assert Customer.objects.count() == 1
    # Whichever committed first, the newer event's state wins.
    assert Ticket.objects.get().status == TicketStatus.CLOSED
    assert TicketEvent.objects.filter(ticket__isnull=False).count() == 2


def test_two_workers_applying_a_backlog_at_once_apply_each_event_exactly_once(_no_broker):
    """Workers draining the same backlog at once (each its own connection) claim disjoint
    events: their settled counts add up to the backlog exactly, and nothing is applied twice."""
    CampaignFactory(delay_minutes=0, throttle_days=0)
    for n in range(200):
        ticket_event_accept(payload=event(
            event_id=f"b{n}", ticket={"id": f"T-{n % 20}"}, customer={"email": f"c{n % 20}@example.org"},
            occurred_at=f"2026-11-24T10:{n // 20:02d}:00Z",
            type="ticket.closed" if n >= 180 else "ticket.updated",
        ))
    barrier = threading.Barrier(4)
    totals: list[int] = []

    def worker():
        try:
            barrier.wait()
            while (result := events_apply_batch(limit=25)).claimed:
                totals.append(result.applied + result.stale + result.failed)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(totals) == 200
    assert TicketEvent.objects.exclude(status__in=(TicketEventStatus.APPLIED, TicketEventStatus.STALE)).count() == 0
    assert Ticket.objects.filter(status=TicketStatus.CLOSED).count() == 20
    assert Invitation.objects.count() == 20  # one per ticket: the close of each
    assert sorted(_no_broker) == sorted(Invitation.objects.values_list("pk", flat=True))
