"""Ticket closed → invitations: filters, window, every suppression reason, send_after, enqueue."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from surveys.models import Invitation, InvitationStatus, SuppressionReason, TicketStatus
from surveys.services.invitations import (
    campaigns_matching,
    invitation_sampled_in,
    invitations_create_for_ticket,
)
from tests.factories import CampaignFactory, CustomerFactory, InvitationFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CLOSED = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def closed_ticket(**kwargs):
    kwargs.setdefault("opened_at", CLOSED - timedelta(days=1))
    kwargs.setdefault("closed_at", CLOSED)
    return TicketFactory(**kwargs)


def create(ticket):
    return invitations_create_for_ticket(ticket=ticket, now=NOW)


def past_invitation(**kwargs):
    """An invitation of another, now inactive, campaign."""
    return InvitationFactory(campaign=CampaignFactory(is_active=False), **kwargs)


def only_reason(ticket):
    (invitation,) = create(ticket)
    return invitation.status, invitation.suppression_reason


def test_scheduled_invitation_has_send_after_language_questionnaire_and_cycle():
    campaign = CampaignFactory(delay_minutes=90)
    ticket = closed_ticket(customer=CustomerFactory(locale="zh-hans"), cycle=3)
    (invitation,) = create(ticket)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.suppression_reason == ""
    assert invitation.send_after == CLOSED + timedelta(minutes=90)
    assert invitation.language == "zh-hans"
    assert invitation.questionnaire == campaign.questionnaire
    assert (invitation.cycle, invitation.customer) == (3, ticket.customer)
    assert len(invitation.token) >= 32


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        ({}, True),
        ({"filter_categories": ["Account", "billing"]}, True),
        ({"filter_categories": ["billing"]}, False),
        ({"filter_priorities": ["normal"]}, True),
        ({"filter_priorities": ["urgent"]}, False),
        ({"filter_channels": ["chat"]}, False),
        ({"filter_segments": ["enterprise"]}, True),
        ({"filter_segments": ["smb"]}, False),
        ({"filter_categories": ["account"], "filter_channels": ["phone"]}, False),
    ],
)
def test_campaign_filters(filters, matches):
    campaign = CampaignFactory(**filters)
    ticket = closed_ticket(category="account", priority="normal", channel="email",
                           customer=CustomerFactory(segment="enterprise"))
    assert (campaign in campaigns_matching(ticket=ticket)) is matches


@pytest.mark.parametrize(
    ("window", "matches"),
    [
        ({"is_active": False}, False),
        ({"starts_at": CLOSED - timedelta(days=1), "ends_at": CLOSED + timedelta(days=1)}, True),
        ({"starts_at": CLOSED + timedelta(minutes=1)}, False),
        ({"ends_at": CLOSED}, False),
    ],
)
def test_campaign_active_flag_and_window_judged_at_closing_time(window, matches):
    CampaignFactory(**window)
    assert bool(create(closed_ticket())) is matches


def test_open_ticket_gets_no_invitation():
    CampaignFactory()
    assert create(closed_ticket(status=TicketStatus.OPEN)) == []


def test_calling_twice_for_the_same_cycle_writes_nothing_new():
    CampaignFactory()
    ticket = closed_ticket()
    assert len(create(ticket)) == 1
    assert create(ticket) == []
    assert Invitation.objects.count() == 1


def test_no_email_is_suppressed():
    CampaignFactory()
    assert only_reason(closed_ticket(customer=CustomerFactory(email=None))) == (
        InvitationStatus.SUPPRESSED, SuppressionReason.NO_EMAIL)


def test_opted_out_is_suppressed():
    CampaignFactory()
    customer = CustomerFactory(opted_out_at=NOW - timedelta(days=400))
    assert only_reason(closed_ticket(customer=customer))[1] == SuppressionReason.OPTED_OUT


def test_snoozed_until_after_send_time_is_suppressed_but_not_once_the_snooze_ends():
    CampaignFactory(delay_minutes=60)
    snoozed = CustomerFactory(snoozed_until=CLOSED + timedelta(minutes=61))
    assert only_reason(closed_ticket(customer=snoozed))[1] == SuppressionReason.SNOOZED
    woken = CustomerFactory(snoozed_until=CLOSED + timedelta(minutes=59))
    assert only_reason(closed_ticket(customer=woken)) == (InvitationStatus.SCHEDULED, "")


def test_throttle_counts_invitations_of_other_campaigns():
    CampaignFactory(throttle_days=30)
    customer = CustomerFactory()
    past_invitation(ticket=closed_ticket(customer=customer), sent_at=NOW - timedelta(days=29))
    assert only_reason(closed_ticket(customer=customer))[1] == SuppressionReason.THROTTLED


def test_throttle_ignores_old_suppressed_and_cancelled_invitations():
    CampaignFactory(throttle_days=30)
    customer = CustomerFactory()
    past_invitation(ticket=closed_ticket(customer=customer), sent_at=NOW - timedelta(days=31))
    for status, reason in ((InvitationStatus.SUPPRESSED, SuppressionReason.SAMPLED_OUT),
                           (InvitationStatus.CANCELLED, "")):
        past_invitation(ticket=closed_ticket(customer=customer), status=status,
                          suppression_reason=reason, sent_at=None)
    assert only_reason(closed_ticket(customer=customer)) == (InvitationStatus.SCHEDULED, "")


def test_two_campaigns_on_one_ticket_survey_once_even_without_throttle():
    first, second = CampaignFactory(throttle_days=0), CampaignFactory(throttle_days=0)
    invitations = {i.campaign: i for i in create(closed_ticket())}
    assert invitations[first].status == InvitationStatus.SCHEDULED
    assert invitations[second].status == InvitationStatus.SUPPRESSED
    assert invitations[second].suppression_reason == SuppressionReason.ANOTHER_CAMPAIGN


def test_lower_priority_number_surveys_the_ticket_whatever_the_creation_order():
    general = CampaignFactory(priority=100, throttle_days=0)
    vip = CampaignFactory(priority=10, throttle_days=0, filter_segments=["enterprise"])
    invitations = {i.campaign: i for i in create(closed_ticket(customer=CustomerFactory(segment="enterprise")))}
    assert invitations[vip].status == InvitationStatus.SCHEDULED
    assert invitations[general].suppression_reason == SuppressionReason.ANOTHER_CAMPAIGN
    # A ticket outside the VIP filter is the general campaign's alone.
    (only,) = create(closed_ticket(customer=CustomerFactory(segment="smb")))
    assert (only.campaign, only.status) == (general, InvitationStatus.SCHEDULED)


def test_equal_priorities_fall_back_to_the_older_campaign():
    older, newer = CampaignFactory(priority=5), CampaignFactory(priority=5)
    invitations = {i.campaign: i for i in create(closed_ticket())}
    assert invitations[older].status == InvitationStatus.SCHEDULED
    assert invitations[newer].suppression_reason == SuppressionReason.ANOTHER_CAMPAIGN
    assert [c.pk for c in campaigns_matching(ticket=closed_ticket())] == [older.pk, newer.pk]


def test_first_campaign_suppressed_for_its_own_reason_does_not_pass_the_ticket_on():
    # The first campaign decides for the cycle: sampled out there means no survey at all.
    first = CampaignFactory(priority=1, sample_rate=0)
    second = CampaignFactory(priority=2, throttle_days=0)
    invitations = {i.campaign: i for i in create(closed_ticket())}
    assert invitations[first].suppression_reason == SuppressionReason.SAMPLED_OUT
    assert invitations[second].suppression_reason == SuppressionReason.ANOTHER_CAMPAIGN


def test_campaign_matching_at_a_later_close_of_a_decided_cycle_is_suppressed():
    first = CampaignFactory(throttle_days=0)
    ticket = closed_ticket()
    create(ticket)
    # Created after the first close, with a better priority: the cycle is decided already.
    late = CampaignFactory(priority=0, throttle_days=0)
    (written,) = create(ticket)
    assert (written.campaign, written.suppression_reason) == (late, SuppressionReason.ANOTHER_CAMPAIGN)
    assert Invitation.objects.get(campaign=first).status == InvitationStatus.SCHEDULED


def test_database_refuses_another_campaign_on_a_scheduled_invitation():
    invitation = InvitationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.SCHEDULED, suppression_reason=SuppressionReason.ANOTHER_CAMPAIGN
        )
    Invitation.objects.filter(pk=invitation.pk).update(
        status=InvitationStatus.SUPPRESSED, suppression_reason=SuppressionReason.ANOTHER_CAMPAIGN
    )


def test_throttle_zero_is_off():
    CampaignFactory(throttle_days=0)
    customer = CustomerFactory()
    past_invitation(ticket=closed_ticket(customer=customer), sent_at=NOW)
    assert only_reason(closed_ticket(customer=customer))[0] == InvitationStatus.SCHEDULED


def test_sampling_is_deterministic_and_near_the_rate():
    campaign = CampaignFactory(sample_rate=30)
    tickets = [TicketFactory.build(source="desk", external_id=f"T-{n}") for n in range(2000)]
    first = [invitation_sampled_in(campaign=campaign, ticket=t) for t in tickets]
    again = [invitation_sampled_in(campaign=campaign, ticket=t) for t in tickets]
    assert first == again
    assert 0.26 < sum(first) / len(first) < 0.34


def test_sampled_out_is_recorded():
    CampaignFactory(sample_rate=0)
    assert only_reason(closed_ticket())[1] == SuppressionReason.SAMPLED_OUT


def test_daily_cap_counts_live_invitations_due_that_day():
    campaign = CampaignFactory(daily_cap=2, throttle_days=0)
    for status in (InvitationStatus.SENT, InvitationStatus.SUPPRESSED):
        InvitationFactory(campaign=campaign, send_after=CLOSED - timedelta(hours=3), status=status,
                          suppression_reason="sampled_out" if status == "suppressed" else "")
    InvitationFactory(campaign=campaign, send_after=CLOSED - timedelta(days=1))  # yesterday
    assert only_reason(closed_ticket())[0] == InvitationStatus.SCHEDULED
    assert only_reason(closed_ticket())[1] == SuppressionReason.DAILY_CAP


def test_open_complaint_of_the_customer_suppresses():
    CampaignFactory()
    customer = CustomerFactory()
    TicketFactory(customer=customer, is_complaint=True, status=TicketStatus.OPEN, closed_at=None)
    assert only_reason(closed_ticket(customer=customer))[1] == SuppressionReason.COMPLAINT_OPEN


def test_closed_complaint_does_not_suppress():
    CampaignFactory()
    customer = CustomerFactory()
    TicketFactory(customer=customer, is_complaint=True, status=TicketStatus.CLOSED)
    assert only_reason(closed_ticket(customer=customer))[0] == InvitationStatus.SCHEDULED


def test_first_reason_in_the_documented_order_is_recorded():
    CampaignFactory(sample_rate=0)
    customer = CustomerFactory(opted_out_at=NOW, snoozed_until=NOW + timedelta(days=9))
    assert only_reason(closed_ticket(customer=customer))[1] == SuppressionReason.OPTED_OUT


def test_due_invitation_enqueued_on_commit_and_later_one_left_to_the_sweep(
    enqueued, django_capture_on_commit_callbacks
):
    due = CampaignFactory(delay_minutes=0, throttle_days=0)
    CampaignFactory(delay_minutes=24 * 60, throttle_days=0)
    CampaignFactory(sample_rate=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations = create(closed_ticket())
    assert enqueued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert enqueued == [i.pk for i in invitations if i.campaign == due]


def test_enqueue_never_raises_when_the_broker_fails(monkeypatch, caplog):
    import surveys.tasks.sending as sending_tasks

    def broker_down(args, countdown=None):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(sending_tasks.invitation_send, "apply_async", broker_down)
    assert sending_tasks.invitation_send_publish(41) is False
    assert "Invitation 41 not enqueued" in caplog.text
