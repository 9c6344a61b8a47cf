"""Reminders, the due and lease sweeps, expiry and resend: what beat does to the rows."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from surveys import models as m
from surveys.services.sending import SendOutcome, invitation_send, message_id_for
from surveys.services.sending_sweeps import (
    invitations_due_ids,
    invitations_expire,
    invitations_release_stuck,
    invitations_reminder_due_ids,
    invitations_resend,
)
from tests.factories import CustomerFactory, ResponseFactory, TicketFactory

from .conftest import due_invitation, sent_invitation, smtp_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminding(campaign):
    campaign.reminder_after_hours = 24
    campaign.max_reminders = 2
    campaign.save()
    return campaign


# --- reminders ----------------------------------------------------------------------------
def test_reminder_goes_to_a_non_responder_after_the_delay(reminding):
    invitation = sent_invitation(reminding, hours_ago=25)
    first_sent = invitation.sent_at

    assert invitations_reminder_due_ids(limit=10) == [invitation.pk]
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.REMINDED

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Reminder: ")
    assert "A quick reminder" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["Message-ID"] == message_id_for(invitation, reminder=1)
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SENT
    assert invitation.reminders_sent == 1
    assert invitation.sent_at == first_sent  # the first send still dates the invitation
    assert invitation.last_sent_at > first_sent
    # The next reminder waits another 24 hours.
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED


def test_no_reminder_before_the_delay(reminding):
    invitation = sent_invitation(reminding, hours_ago=23)
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    assert mail.outbox == []


def test_no_reminder_past_the_maximum(reminding):
    invitation = sent_invitation(reminding, hours_ago=100, reminders_sent=2)
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED


def test_no_reminder_when_the_campaign_has_none(campaign):
    invitation = sent_invitation(campaign, hours_ago=100)
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED


def test_no_reminder_after_an_answer(reminding):
    invitation = sent_invitation(reminding, hours_ago=25)
    ResponseFactory(invitation=invitation)  # answered, even if the status were not updated yet
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    assert mail.outbox == []


def test_no_reminder_after_the_link_expired(reminding):
    invitation = sent_invitation(reminding, hours_ago=25, expires_at=timezone.now() - timedelta(minutes=1))
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED


@pytest.mark.parametrize(
    "customer_kwargs",
    [{"opted_out_at": timezone.now()}, {"snoozed_until": timezone.now() + timedelta(days=80)}],
    ids=["opted-out", "snoozed"],
)
def test_no_reminder_to_a_customer_who_said_no(reminding, customer_kwargs):
    ticket = TicketFactory(customer=CustomerFactory(**customer_kwargs))
    invitation = sent_invitation(reminding, hours_ago=25, ticket=ticket)
    assert invitations_reminder_due_ids(limit=10) == []
    invitation_send(invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reminders_sent) == (m.InvitationStatus.SENT, 0)
    assert mail.outbox == []


def test_reminder_transient_error_keeps_it_sent_and_retries_later(reminding, smtp_script, settings):
    settings.INVITATION_RETRY_BASE_SECONDS = 60
    invitation = sent_invitation(reminding, hours_ago=25)
    smtp_script.append(smtp_reply(421))

    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.RETRY
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reminders_sent) == (m.InvitationStatus.SENT, 0)
    assert invitation.send_after > timezone.now()
    assert invitations_reminder_due_ids(limit=10) == []  # backing off
    m.Invitation.objects.filter(pk=invitation.pk).update(send_after=timezone.now())
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.REMINDED


def test_reminder_permanent_error_stops_reminders_but_keeps_the_invitation_sent(reminding, smtp_script):
    invitation = sent_invitation(reminding, hours_ago=25)
    smtp_script.append(smtp_reply(550, "mailbox gone"))

    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.FAILED
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SENT
    assert invitation.last_error == "550 mailbox gone"
    assert (invitation.attempts, invitation.reminders_stopped) == (1, True)
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED


def test_a_reminder_counts_its_own_attempts_after_a_first_send_that_took_several(reminding, smtp_script):
    # The first email took 3 tries (the record stays); the reminder starts again from 1.
    invitation = sent_invitation(reminding, hours_ago=25, attempts=3)
    smtp_script.extend([smtp_reply(421), None])

    assert invitations_reminder_due_ids(limit=10) == [invitation.pk]
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.RETRY
    invitation.refresh_from_db()
    assert invitation.attempts == 1
    m.Invitation.objects.filter(pk=invitation.pk).update(send_after=timezone.now())
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.REMINDED

    invitation.refresh_from_db()
    assert (invitation.reminders_sent, invitation.attempts, invitation.last_error) == (1, 2, "")


def test_a_first_send_that_used_every_attempt_still_gets_its_reminder(reminding, settings):
    settings.INVITATION_MAX_ATTEMPTS = 3
    invitation = sent_invitation(reminding, hours_ago=25, attempts=3)

    assert invitations_reminder_due_ids(limit=10) == [invitation.pk]
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.REMINDED


# --- due sweep ----------------------------------------------------------------------------
def test_due_sweep_lists_only_due_scheduled_rows_oldest_first(campaign):
    older = due_invitation(campaign, send_after=timezone.now() - timedelta(hours=2))
    newer = due_invitation(campaign)
    due_invitation(campaign, send_after=timezone.now() + timedelta(minutes=3))
    due_invitation(campaign, status=m.InvitationStatus.CANCELLED)
    due_invitation(campaign, status=m.InvitationStatus.SENDING, claimed_at=timezone.now())
    # Expired but not yet marked so by the expiry sweep: a send would refuse it.
    due_invitation(campaign, send_after=timezone.now() - timedelta(hours=3), expires_at=timezone.now())

    assert invitations_due_ids(limit=10) == [older.pk, newer.pk]
    assert invitations_due_ids(limit=1) == [older.pk]


# --- lease --------------------------------------------------------------------------------
def test_lease_returns_stuck_rows_and_leaves_fresh_claims(campaign, settings):
    settings.INVITATION_SENDING_LEASE_SECONDS = 600
    long_ago = timezone.now() - timedelta(seconds=601)
    stuck_first = due_invitation(campaign, status=m.InvitationStatus.SENDING, claimed_at=long_ago)
    stuck_reminder = sent_invitation(
        campaign, hours_ago=30, status=m.InvitationStatus.SENDING, claimed_at=long_ago
    )
    fresh = due_invitation(campaign, status=m.InvitationStatus.SENDING, claimed_at=timezone.now())

    assert invitations_release_stuck() == 2

    for invitation in (stuck_first, stuck_reminder, fresh):
        invitation.refresh_from_db()
    assert (stuck_first.status, stuck_first.claimed_at) == (m.InvitationStatus.SCHEDULED, None)
    assert stuck_reminder.status == m.InvitationStatus.SENT
    assert fresh.status == m.InvitationStatus.SENDING
    # The returned first send is due again and goes out once.
    assert invitation_send(invitation_id=stuck_first.pk).outcome == SendOutcome.SENT
    assert len(mail.outbox) == 1


# --- expiry -------------------------------------------------------------------------------
def test_expiry_sets_expired_on_unanswered_rows_past_their_link_date(campaign):
    past = timezone.now() - timedelta(minutes=1)
    sent = sent_invitation(campaign, hours_ago=400, expires_at=past)
    scheduled = due_invitation(campaign, expires_at=past)
    current = sent_invitation(campaign, hours_ago=1)
    answered = sent_invitation(campaign, hours_ago=400, expires_at=past, status=m.InvitationStatus.ANSWERED)

    assert invitations_expire() == 2

    statuses = {i.pk: i.status for i in m.Invitation.objects.all()}
    assert statuses[sent.pk] == statuses[scheduled.pk] == m.InvitationStatus.EXPIRED
    assert statuses[current.pk] == m.InvitationStatus.SENT
    assert statuses[answered.pk] == m.InvitationStatus.ANSWERED


# --- resend -------------------------------------------------------------------------------
def test_resend_puts_a_failed_invitation_back_to_due(campaign):
    failed = due_invitation(campaign, status=m.InvitationStatus.FAILED, attempts=8, last_error="550 no")
    sent = sent_invitation(campaign, hours_ago=1)

    assert invitations_resend(invitation_ids=[failed.pk, sent.pk]) == [failed.pk]

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (m.InvitationStatus.SCHEDULED, 0)
    assert failed.send_after <= timezone.now()
    sent.refresh_from_db()
    assert sent.status == m.InvitationStatus.SENT
    assert invitation_send(invitation_id=failed.pk).outcome == SendOutcome.SENT
