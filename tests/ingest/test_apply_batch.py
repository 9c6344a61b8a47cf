"""The batch path: a claimed batch costs a fixed number of queries, and ends where applying its
events one at a time ends."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.models import Campaign, Invitation, InvitationStatus, SuppressionReason, Ticket, TicketEvent
from surveys.services.ticket_events import events_apply_batch
from surveys.services.tickets import ticket_event_accept, ticket_event_record
from tests.factories import CampaignFactory, InvitationFactory

from .helpers import event, just_after_close

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def accept_new_tickets(n: int, run: str) -> None:
    for i in range(n):
        ticket_event_accept(payload=event(
            ticket={"id": f"{run}-{i}"},
            customer={"id": f"{run}-c{i}", "email": f"{run}-{i}@example.org"},
            agent={"id": f"{run}-a{i}", "email": f"{run}-a{i}@support.example", "team": f"{run} team {i}"},
        ))  # fmt: skip


def batch_queries(n: int, run: str) -> int:
    accept_new_tickets(n, run)
    with CaptureQueriesContext(connection) as queries:
        result = events_apply_batch(now=NOW)
    assert result.applied == n
    return len(queries)


def test_a_batch_of_new_tickets_costs_the_same_queries_whatever_its_size(django_assert_max_num_queries):
    CampaignFactory()  # every close decides an invitation, reading the customers' history
    small = batch_queries(2, "small")
    large = batch_queries(40, "large")
    if connection.vendor == "postgresql":
        assert large == small
    else:
        # SQLite caps the parameters of one statement, so Django writes a large bulk insert in
        # chunks: a statement or two more for 40 rows, never one per row.
        assert small <= large <= small + 3
    accept_new_tickets(60, "bound")
    with django_assert_max_num_queries(30):
        assert events_apply_batch(now=NOW).applied == 60
    assert Ticket.objects.count() == 102 and Invitation.objects.count() == 102


def story(source: str) -> list[dict]:
    """Two customers, one agent moving team, a complaint, three closes, a customer's new id. (A late, older event is
    stale on either path: test_apply.py.)"""
    c1 = {"id": f"{source}-c1", "email": f"one@{source}.example"}
    c2 = {"id": f"{source}-c2", "email": f"two@{source}.example", "segment": "smb"}
    agent = {"id": f"{source}-a", "email": f"a@{source}.example", "team": f"{source} Tier 1"}
    moved = {**agent, "team": f"{source} Tier 2", "name": "Ann Moved"}
    opened = {"closed_at": None, "resolved_at": None}
    return [
        event(source=source, type="ticket.opened", occurred_at="2026-11-23T08:00:00Z",
              ticket={"id": "A", **opened}, customer=c1, agent=agent),
        event(source=source, occurred_at="2026-11-24T10:00:00Z", ticket={"id": "A"}, customer=c1, agent=agent),
        # The same customer's second ticket closes too: throttled by the first's invitation.
        event(source=source, occurred_at="2026-11-24T10:00:00Z", ticket={"id": "B"}, customer=c1, agent=moved),
        # A complaint still open for customer two, then another of their tickets closes.
        event(source=source, type="ticket.opened", occurred_at="2026-11-24T09:00:00Z",
              ticket={"id": "C", "is_complaint": True, **opened}, customer=c2, agent=moved),
        event(source=source, occurred_at="2026-11-24T10:00:00Z", ticket={"id": "D", "agent": None},
              customer={**c2, "name": "Two Renamed"}),
        # Customer one's helpdesk id changes; an event naming only the new id finds them.
        event(source=source, type="ticket.opened", occurred_at="2026-11-24T09:00:00Z",
              ticket={"id": "E", **opened}, customer={**c1, "id": f"{source}-c1-new"}),
        event(source=source, type="ticket.opened", occurred_at="2026-11-24T09:00:00Z",
              ticket={"id": "F", **opened}, customer={"id": f"{source}-c1-new", "email": None}),
    ]  # fmt: skip


def state(source: str) -> dict:
    tickets = Ticket.objects.filter(source=source).select_related("customer", "agent", "team")
    return {
        "tickets": sorted(
            (t.external_id, t.status, t.subject, (t.customer.email or "").split("@")[0], t.customer.name, t.customer.segment,
             t.agent and t.agent.name, t.team and t.team.name.split(" ", 1)[1], t.is_complaint,
             t.first_response_s, t.resolution_s, t.sla_response_target_s, t.last_event_at)
            for t in tickets
        ),  # fmt: skip
        "invitations": sorted(
            (i.ticket.external_id, i.status, i.suppression_reason, i.cycle, i.send_after)
            for i in Invitation.objects.filter(ticket__source=source).select_related("ticket")
        ),
        "events": sorted(
            (e.payload["ticket"]["id"], e.occurred_at, e.status, e.ticket.external_id)
            for e in TicketEvent.objects.filter(source=source).select_related("ticket")
        ),
    }


def test_one_batch_ends_where_the_one_event_path_ends(enqueued, django_capture_on_commit_callbacks):
    CampaignFactory(throttle_days=30)
    with just_after_close():
        for payload in story("single"):  # the in-process path: each event applied as it comes
            ticket_event_record(payload=payload)
        with django_capture_on_commit_callbacks(execute=True):
            for payload in story("batch"):
                ticket_event_accept(payload=payload)
            enqueued.clear()
            assert events_apply_batch().claimed == 7
    one_by_one, batched = state("single"), state("batch")
    assert batched == one_by_one
    reasons = {ext: reason for ext, _status, reason, _cycle, _send in batched["invitations"]}
    assert reasons == {"A": "", "B": SuppressionReason.THROTTLED, "D": SuppressionReason.COMPLAINT_OPEN}
    e, f = Ticket.objects.filter(source="batch", external_id__in=("E", "F")).order_by("external_id")
    assert e.customer_id == f.customer_id == Ticket.objects.get(source="batch", external_id="A").customer_id
    # The one due survey is handed to the senders after the commit.
    assert enqueued == list(Invitation.objects.filter(ticket__source="batch", suppression_reason="").values_list(
        "pk", flat=True))  # fmt: skip


def test_a_daily_cap_is_counted_across_the_batch():
    """A daily cap is counted in the database once for the batch, then in memory."""
    CampaignFactory(daily_cap=1)
    with just_after_close():
        for i in range(2):
            customer = {"id": f"cap-c{i}", "email": f"cap{i}@example.org"}
            ticket_event_accept(payload=event(ticket={"id": f"cap-{i}"}, customer=customer))
        assert events_apply_batch().applied == 2
    reasons = sorted(Invitation.objects.values_list("suppression_reason", flat=True))
    assert reasons == ["", SuppressionReason.DAILY_CAP]


def test_a_reopen_in_the_batch_withdraws_the_first_cycles_survey():
    """A new cycle withdraws the earlier one's invitations: such a batch takes the one-event path."""
    CampaignFactory()
    with just_after_close():
        ticket_event_accept(payload=event(event_id="close-1", occurred_at="2026-11-24T10:00:00Z"))
        ticket_event_accept(payload=event(event_id="reopen", type="ticket.reopened",
                                          occurred_at="2026-11-24T10:05:00Z",
                                          ticket={"closed_at": None, "resolved_at": None}))
        assert events_apply_batch().applied == 2
    ticket = Ticket.objects.get()
    assert (ticket.cycle, ticket.status) == (2, "open")
    assert list(Invitation.objects.values_list("cycle", "status")) == [(1, "cancelled")]


def test_a_daily_cap_counts_per_local_day_in_the_batch_as_one_by_one():
    """The batch path (the one-event path not called) gives each close the reason applying the
    events one at a time gives: live invitations already due that local day count, a
    suppressed one and another day's do not, and the batch's own count as they are written."""
    closes = ["2026-11-24T10:00:00Z"] * 3 + ["2026-11-24T17:30:00Z", "2026-11-25T10:00:00Z"]  # 17:30Z: the 25th

    def run(source: str, apply) -> list[str]:
        campaign = CampaignFactory(daily_cap=2, throttle_days=0)
        InvitationFactory(campaign=campaign, send_after=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        InvitationFactory(campaign=campaign, send_after=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
                          status=InvitationStatus.SUPPRESSED, suppression_reason=SuppressionReason.SAMPLED_OUT)
        InvitationFactory(campaign=campaign, send_after=datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
        apply([
            event(source=source, occurred_at=at, ticket={"id": f"T{i}", "closed_at": at},
                  customer={"id": f"{source}-c{i}", "email": f"{source}-{i}@example.org"})
            for i, at in enumerate(closes)
        ])  # fmt: skip
        Campaign.objects.filter(pk=campaign.pk).update(is_active=False)
        return list(
            Invitation.objects.filter(ticket__source=source).order_by("ticket__external_id")
            .values_list("suppression_reason", flat=True)
        )  # fmt: skip

    def one_by_one(payloads):
        for payload in payloads:
            ticket_event_record(payload=payload)

    def batched(payloads):
        for payload in payloads:
            ticket_event_accept(payload=payload)
        with mock.patch("surveys.services.ticket_events.event_apply", side_effect=AssertionError("one-event path")):
            assert events_apply_batch().applied == len(payloads)

    with just_after_close(), timezone.override("Asia/Shanghai"):
        expected = run("single", one_by_one)
        assert expected == ["", SuppressionReason.DAILY_CAP, SuppressionReason.DAILY_CAP, "", ""]
        assert run("batch", batched) == expected


def test_each_settled_event_names_its_ticket_whatever_the_shape_of_its_id():
    """Settling finds an event's ticket by the key its payload names; an id stored in another
    shape than the parsed key (a number, spaces around it) is written one by one in the same
    UPDATE."""
    with just_after_close():
        ids = {"plain": "P-1", "number": 1234, "spaces": "  S-1  "}
        for n, ticket_id in enumerate(ids.values()):
            ticket_event_accept(payload=event(ticket={"id": ticket_id}, customer={"id": f"c-{n}", "email": f"c{n}@example.org"}))
        assert events_apply_batch(now=NOW).claimed == 3
        # A stale one, in a later batch: older than its ticket's state, it still names the ticket.
        ticket_event_accept(payload=event(occurred_at="2026-11-24T09:00:00Z", ticket={"id": "P-1", "closed_at": None},
                                          type="ticket.updated"))
        assert events_apply_batch(now=NOW).stale == 1
    found = {e.ticket.external_id: e.status for e in TicketEvent.objects.select_related("ticket")}
    assert sorted(found) == ["1234", "P-1", "S-1"]
    assert sorted(TicketEvent.objects.values_list("ticket__external_id", "status")) == [
        ("1234", "applied"), ("P-1", "applied"), ("P-1", "stale"), ("S-1", "applied")
    ]
