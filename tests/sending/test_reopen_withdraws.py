"""A ticket reopened after its survey went out: the survey is withdrawn (as its page says) and
no reminder about the earlier cycle is ever sent."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from surveys import models as m
from surveys.services.invitations import REOPENED_REASON
from surveys.services.sending import SendOutcome, invitation_send
from surveys.services.sending_sweeps import invitations_reminder_due_ids
from surveys.services.tickets import ticket_event_record
from tests.factories import ResponseFactory
from tests.ingest.helpers import event

pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def reminding(campaign):
    campaign.reminder_after_hours = 24
    campaign.max_reminders = 3
    campaign.delay_minutes = 0
    campaign.throttle_days = 30
    campaign.save()
    return campaign


def close_and_send(*, hours_ago: float) -> m.Invitation:
    """The helpdesk closed ticket T-1001 and its survey went out ``hours_ago`` hours ago."""
    at = timezone.now() - timedelta(hours=hours_ago)
    ticket_event_record(
        payload=event(
            event_id="close-1",
            occurred_at=iso(at),
            customer={"locale": "en"},
            ticket={
                "opened_at": iso(at - timedelta(days=1)),
                "first_response_at": iso(at - timedelta(hours=20)),
                "resolved_at": iso(at),
                "closed_at": iso(at),
            },
        )
    )
    invitation = m.Invitation.objects.get()
    m.Invitation.objects.filter(pk=invitation.pk).update(
        status=m.InvitationStatus.SENT, sent_at=at, last_sent_at=at, expires_at=at + timedelta(days=14)
    )
    return invitation


def reopen(event_id="reopen-1", *, hours_ago: float = 1):
    ticket_event_record(
        payload=event(
            event_id=event_id,
            type="ticket.reopened",
            occurred_at=iso(timezone.now() - timedelta(hours=hours_ago)),
            ticket={"resolved_at": None, "closed_at": None, "reopen_count": None},
        )
    )


def test_reopened_ticket_gets_no_reminder_and_its_page_says_withdrawn(reminding, client):
    invitation = close_and_send(hours_ago=25)
    assert invitations_reminder_due_ids(limit=10) == [invitation.pk]  # due, before the reopen
    reopen()

    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.CANCELLED
    assert invitation.last_error == REOPENED_REASON
    # Still counted as sent: the funnel and the response rate date it by its first send.
    assert invitation.sent_at is not None
    page = client.get(f"/s/{invitation.token}/")
    assert page.status_code == 410
    assert "Your ticket was reopened, so this survey was withdrawn" in page.content.decode()


def test_answered_or_partly_answered_invitation_is_not_withdrawn(reminding):
    invitation = close_and_send(hours_ago=25)
    ResponseFactory(invitation=invitation, is_complete=False, submitted_at=None)
    reopen()
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SENT
    # Kept, but no reminder about a cycle that moved on.
    assert invitations_reminder_due_ids(limit=10) == []


def test_reminder_claim_refuses_an_invitation_whose_ticket_cycle_moved_on(reminding):
    # A reminder in flight at the reopen settles back to `sent` after the reopen's withdraw ran:
    # the claim itself must refuse the next one.
    invitation = close_and_send(hours_ago=25)
    m.Ticket.objects.filter(pk=invitation.ticket_id).update(cycle=2)
    assert invitations_reminder_due_ids(limit=10) == []
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.SKIPPED
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reminders_sent) == (m.InvitationStatus.SENT, 0)


def test_reminders_of_the_current_cycle_still_go(reminding):
    invitation = close_and_send(hours_ago=25)
    assert invitation_send(invitation_id=invitation.pk).outcome == SendOutcome.REMINDED
    assert mail.outbox[0].subject.startswith("Reminder: ")


def test_withdrawn_survey_does_not_throttle_the_next_cycle(reminding):
    # The withdrawn page promises "We will ask you again once it is resolved".
    close_and_send(hours_ago=25)
    reopen()
    at = timezone.now() - timedelta(minutes=30)
    ticket_event_record(
        payload=event(
            event_id="close-2",
            occurred_at=iso(at),
            customer={"locale": "en"},
            ticket={
                "opened_at": iso(at - timedelta(days=3)),
                "first_response_at": iso(at - timedelta(days=2)),
                "resolved_at": iso(at),
                "closed_at": iso(at),
            },
        )
    )
    by_cycle = dict(m.Invitation.objects.values_list("cycle", "status"))
    assert by_cycle == {1: m.InvitationStatus.CANCELLED, 2: m.InvitationStatus.SCHEDULED}
