"""ticket_event_record: upserts, ordering, SLA copy, reopen cycles (the Python API door)."""

from datetime import UTC, datetime, timedelta

import pytest

from surveys.ingest.schema import PayloadInvalid
from surveys.models import (
    Agent,
    Customer,
    Invitation,
    InvitationStatus,
    SuppressionReason,
    Team,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from surveys.services.invitations import REOPENED_REASON
from surveys.services.tickets import ticket_event_record
from tests.factories import CampaignFactory, CustomerFactory, SLAPolicyFactory

from .helpers import event, just_after_close

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 10, 5, tzinfo=UTC)


def record(payload, **kwargs):
    return ticket_event_record(payload=payload, now=NOW, **kwargs)


def test_python_api_accepts_datetime_objects_and_stores_json():
    opened = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    result = record(event(occurred_at=NOW, ticket={"opened_at": opened}))
    assert result.created and result.applied
    assert result.ticket.opened_at == opened
    assert TicketEvent.objects.get().payload["ticket"]["opened_at"] == "2026-11-23T08:00:00+00:00"


def test_invalid_payload_raises_with_field_paths_and_writes_nothing():
    with pytest.raises(PayloadInvalid) as caught:
        record(event(ticket={"id": None, "is_complaint": "yes"}))
    assert set(caught.value.errors) == {"ticket.id", "ticket.is_complaint"}
    assert TicketEvent.objects.count() == 0


def test_customer_matched_by_email_ignoring_case_and_refreshed():
    existing = CustomerFactory(email="wang.fang@example.cn", name="", locale="en", segment="")
    record(event())
    customer = Customer.objects.get()
    assert customer.pk == existing.pk
    assert (customer.name, customer.locale, customer.segment) == ("Wang Fang", "zh-hans", "enterprise")
    assert customer.external_id == "c-42"


def test_customer_without_email_matched_by_external_id():
    existing = CustomerFactory(email=None, external_id="c-42")
    record(event(customer={"email": None}))
    assert Ticket.objects.get().customer == existing
    assert Customer.objects.count() == 1


def test_new_email_creates_a_customer_even_if_external_id_is_known():
    CustomerFactory(email="old@example.org", external_id="c-42")
    record(event())
    assert Customer.objects.count() == 2
    assert Ticket.objects.get().customer.email == "Wang.Fang@Example.cn"


def test_agent_and_team_upserted_and_agent_moves_team():
    record(event(event_id="e1", ticket={"id": "T-1"}))
    record(event(event_id="e2", ticket={"id": "T-2"}, agent={"team": "Tier 2", "name": "Ann A."}))
    agent = Agent.objects.get()
    assert (agent.external_id, agent.name, agent.team.name) == ("a-7", "Ann A.", "Tier 2")
    assert set(Team.objects.values_list("name", flat=True)) == {"Tier 1", "Tier 2"}
    assert Ticket.objects.get(external_id="T-1").team.name == "Tier 1"


def test_agent_without_helpdesk_id_matched_by_email_ignoring_case():
    record(event(event_id="e1", ticket={"id": "T-1"}, agent={"id": None, "email": "Ann@Support.example"}))
    record(event(event_id="e2", ticket={"id": "T-2"}, agent={"id": None, "email": "ann@support.example",
                                                             "team": "Tier 2"}))
    agent = Agent.objects.get()
    assert (agent.external_id, agent.team.name) == ("", "Tier 2")
    assert Ticket.objects.get(external_id="T-2").agent == agent


def test_event_without_agent_keeps_the_tickets_agent():
    record(event(event_id="e1", type="ticket.opened", ticket={"closed_at": None, "resolved_at": None}))
    record(event(event_id="e2", occurred_at="2026-11-24T10:01:00Z", agent=None, ticket={"agent": None}))
    assert Ticket.objects.get().agent.external_id == "a-7"


def test_locale_is_normalised_and_unknown_falls_back_to_english():
    record(event(event_id="e1", ticket={"id": "T-1"}, customer={"email": "a@x.org", "locale": "zh_CN"}))
    record(event(event_id="e2", ticket={"id": "T-2"}, customer={"email": "b@x.org", "locale": "fr-FR"}))
    assert Customer.objects.get(email="a@x.org").locale == "zh-hans"
    assert Customer.objects.get(email="b@x.org").locale == "en"


def test_sla_targets_copied_from_policy_and_kept_when_policy_changes():
    policy = SLAPolicyFactory(priority="high", first_response_target_s=600, resolution_target_s=3600)
    record(event(event_id="e1", type="ticket.opened", ticket={"closed_at": None, "resolved_at": None}))
    policy.first_response_target_s = 60
    policy.save()
    record(event(event_id="e2", occurred_at="2026-11-24T10:01:00Z"))
    ticket = Ticket.objects.get()
    assert (ticket.sla_response_target_s, ticket.sla_resolution_target_s) == (600, 3600)


def test_priority_change_recopies_sla_targets():
    SLAPolicyFactory(priority="high", first_response_target_s=600, resolution_target_s=3600)
    SLAPolicyFactory(priority="urgent", first_response_target_s=300, resolution_target_s=1800)
    record(event(event_id="e1", type="ticket.opened", ticket={"closed_at": None, "resolved_at": None}))
    record(event(event_id="e2", type="ticket.updated", occurred_at="2026-11-24T10:01:00Z",
                 ticket={"priority": "urgent", "closed_at": None, "resolved_at": None}))
    assert Ticket.objects.get().sla_response_target_s == 300


def test_older_event_arriving_late_is_stored_but_changes_nothing():
    record(event(event_id="new", occurred_at="2026-11-24T10:00:00Z", ticket={"subject": "Newest"}))
    late = record(event(event_id="old", type="ticket.updated", occurred_at="2026-11-24T09:00:00Z",
                        ticket={"subject": "Stale", "closed_at": None}))
    assert late.created and not late.applied
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.status) == ("Newest", TicketStatus.CLOSED)
    assert ticket.last_event_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    stale = TicketEvent.objects.get(event_id="old")
    assert stale.ticket == ticket and stale.applied_at is None


def test_events_in_order_each_update_the_ticket():
    record(event(event_id="e1", type="ticket.opened", occurred_at="2026-11-23T08:00:00Z",
                 ticket={"first_response_at": None, "resolved_at": None, "closed_at": None}))
    assert Ticket.objects.get().status == TicketStatus.OPEN
    record(event(event_id="e2", type="ticket.updated", occurred_at="2026-11-24T09:00:00Z",
                 ticket={"closed_at": None}))
    assert Ticket.objects.get().status == TicketStatus.RESOLVED
    record(event(event_id="e3", occurred_at="2026-11-24T10:00:00Z"))
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.resolution_s == 25 * 3600


def test_close_without_closed_at_closes_at_occurred_at():
    record(event(ticket={"closed_at": None}, occurred_at="2026-11-24T11:00:00Z"))
    assert Ticket.objects.get().closed_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def test_first_event_without_opened_at_opens_at_the_earliest_time_given():
    record(event(ticket={"opened_at": None}))
    assert Ticket.objects.get().opened_at == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def test_reopen_starts_a_new_cycle_and_cancels_the_pending_invitation():
    CampaignFactory(delay_minutes=24 * 60)
    record(event(event_id="close1"))
    pending = Invitation.objects.get()
    assert pending.status == InvitationStatus.SCHEDULED
    record(event(event_id="reopen", type="ticket.reopened", occurred_at="2026-11-24T10:30:00Z",
                 ticket={"resolved_at": None, "closed_at": None, "reopen_count": None}))
    ticket = Ticket.objects.get()
    assert (ticket.cycle, ticket.reopen_count, ticket.status) == (2, 1, TicketStatus.OPEN)
    assert ticket.closed_at is None
    pending.refresh_from_db()
    assert pending.status == InvitationStatus.CANCELLED


def test_closing_again_after_reopen_is_a_new_cycle_with_its_own_invitation():
    CampaignFactory(delay_minutes=24 * 60, throttle_days=0)
    record(event(event_id="close1"))
    record(event(event_id="reopen", type="ticket.reopened", occurred_at="2026-11-24T10:30:00Z",
                 ticket={"resolved_at": None, "closed_at": None}))
    record(event(event_id="close2", occurred_at="2026-11-24T12:00:00Z",
                 ticket={"resolved_at": "2026-11-24T12:00:00Z", "closed_at": "2026-11-24T12:00:00Z"}))
    by_cycle = dict(Invitation.objects.values_list("cycle", "status"))
    assert by_cycle == {1: InvitationStatus.CANCELLED, 2: InvitationStatus.SCHEDULED}


def test_reopen_withdraws_an_invitation_already_sent_and_keeps_its_send_date():
    CampaignFactory(delay_minutes=0)
    record(event(event_id="close1"))
    Invitation.objects.update(status=InvitationStatus.SENT, sent_at=NOW)
    record(event(event_id="reopen", type="ticket.reopened", occurred_at="2026-11-24T10:30:00Z",
                 ticket={"resolved_at": None, "closed_at": None}))
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.sent_at) == (InvitationStatus.CANCELLED, NOW)
    assert invitation.last_error == REOPENED_REASON


def test_reopen_keeps_an_answered_invitation():
    CampaignFactory(delay_minutes=0)
    record(event(event_id="close1"))
    Invitation.objects.update(status=InvitationStatus.ANSWERED, sent_at=NOW)
    record(event(event_id="reopen", type="ticket.reopened", occurred_at="2026-11-24T10:30:00Z",
                 ticket={"resolved_at": None, "closed_at": None}))
    assert Invitation.objects.get().status == InvitationStatus.ANSWERED


def test_update_after_close_does_not_move_agent_credit():
    record(event(event_id="close"))
    record(event(event_id="reassign", type="ticket.updated", occurred_at="2026-11-24T11:00:00Z",
                 agent={"id": "a-8", "name": "Bob", "email": "bob@support.example", "team": "Tier 2"}))
    ticket = Ticket.objects.get()
    assert (ticket.agent.external_id, ticket.team.name) == ("a-7", "Tier 1")


def test_second_close_event_of_the_same_cycle_writes_no_second_invitation():
    CampaignFactory(delay_minutes=0)
    record(event(event_id="close-a"))
    record(event(event_id="close-b", occurred_at="2026-11-24T10:01:00Z"))
    assert Invitation.objects.count() == 1


def test_history_import_can_skip_invitations():
    CampaignFactory(delay_minutes=0)
    result = record(event(), create_invitations=False)
    assert result.applied and result.invitations == ()
    assert Invitation.objects.count() == 0


@just_after_close()
def test_repeat_customer_throttled_by_the_survey_of_an_earlier_ticket():
    CampaignFactory(delay_minutes=0, throttle_days=30)
    first = record(event(event_id="e1", ticket={"id": "T-1"}))
    second = record(event(event_id="e2", ticket={"id": "T-2"}))
    assert first.invitations[0].status == InvitationStatus.SCHEDULED
    assert second.invitations[0].suppression_reason == SuppressionReason.THROTTLED


def test_repeat_customer_not_throttled_once_the_window_has_passed():
    CampaignFactory(delay_minutes=0, throttle_days=30)
    record(event(event_id="e1", ticket={"id": "T-1"}))
    Invitation.objects.update(status=InvitationStatus.SENT, sent_at=NOW - timedelta(days=31))
    second = record(event(event_id="e2", ticket={"id": "T-2"}))
    assert second.invitations[0].status == InvitationStatus.SCHEDULED


def test_open_complaint_on_another_ticket_suppresses_but_not_on_the_ticket_itself():
    CampaignFactory(delay_minutes=0, throttle_days=0)
    complaint = event(event_id="e1", type="ticket.opened", ticket={"id": "T-1", "is_complaint": True,
                                                                  "resolved_at": None, "closed_at": None})
    record(complaint)
    other = record(event(event_id="e2", ticket={"id": "T-2"}))
    assert other.invitations[0].suppression_reason == SuppressionReason.COMPLAINT_OPEN
    itself = record(event(event_id="e3", occurred_at="2026-11-24T10:01:00Z",
                          ticket={"id": "T-1", "is_complaint": True}))
    assert itself.invitations[0].status == InvitationStatus.SCHEDULED


def test_opted_out_repeat_customer_is_suppressed():
    CampaignFactory(delay_minutes=0, throttle_days=0)
    record(event(event_id="e1", ticket={"id": "T-1"}))
    Customer.objects.update(opted_out_at=NOW)
    second = record(event(event_id="e2", ticket={"id": "T-2"}))
    assert second.invitations[0].suppression_reason == SuppressionReason.OPTED_OUT
