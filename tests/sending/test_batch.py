"""invitation_send with a batch: its own invitation and other due ones, one claim, one SMTP
connection, each settled on its own."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from surveys import models as m
from surveys.services.sending import SendOutcome, invitation_send, message_id_for
from surveys.tasks import sending as tasks
from tests.factories import CustomerFactory, TicketFactory

from .conftest import due_invitation, sent_invitation, smtp_reply

pytestmark = pytest.mark.django_db


def _status(invitation) -> str:
    return m.Invitation.objects.values_list("status", flat=True).get(pk=invitation.pk)


def _due(campaign, count, **kwargs):
    # Oldest first, a minute apart.
    now = timezone.now()
    return [
        due_invitation(campaign, send_after=now - timedelta(minutes=count - n), **kwargs)
        for n in range(count)
    ]


def test_one_message_sends_its_own_invitation_first_then_the_oldest_due(campaign):
    older = _due(campaign, 4)
    own = due_invitation(campaign)  # the newest

    result = invitation_send(invitation_id=own.pk, batch_size=3)

    assert (result.outcome, result.sent) == (SendOutcome.SENT, 3)
    tokens = [message.extra_headers["List-Unsubscribe"] for message in mail.outbox]
    assert [own.token in tokens[0], older[0].token in tokens[1], older[1].token in tokens[2]] == [True] * 3
    assert [_status(i) for i in older] == ["sent", "sent", "scheduled", "scheduled"]
    for message, invitation in zip(mail.outbox, [own, *older[:2]], strict=True):
        assert message.to == [invitation.customer.email]
        assert message.extra_headers["Message-ID"] == message_id_for(invitation, reminder=0)


def test_the_message_of_an_invitation_a_batch_already_sent_costs_one_query(
    campaign, django_assert_num_queries
):
    first, second = _due(campaign, 2)
    invitation_send(invitation_id=first.pk, batch_size=10)
    assert _status(second) == "sent"

    with django_assert_num_queries(1):
        result = invitation_send(invitation_id=second.pk, batch_size=10)

    assert (result.outcome, result.sent) == (SendOutcome.SKIPPED, 0)
    assert len(mail.outbox) == 2


def test_a_message_whose_invitation_is_being_sent_still_takes_other_due_ones(campaign):
    claimed = due_invitation(campaign, status=m.InvitationStatus.SENDING, claimed_at=timezone.now())
    waiting = _due(campaign, 2)

    result = invitation_send(invitation_id=claimed.pk, batch_size=10)

    assert (result.outcome, result.sent) == (SendOutcome.SKIPPED, 2)
    assert [_status(i) for i in waiting] == ["sent", "sent"]
    assert _status(claimed) == "sending"  # still the other claim's


def test_a_batch_leaves_out_what_is_not_due(campaign):
    own = due_invitation(campaign)
    later = due_invitation(campaign, send_after=timezone.now() + timedelta(hours=1))
    expired = due_invitation(campaign, expires_at=timezone.now() - timedelta(minutes=1))
    failed = due_invitation(campaign, status=m.InvitationStatus.FAILED)
    claimed = due_invitation(campaign, status=m.InvitationStatus.SENDING, claimed_at=timezone.now())
    answered = sent_invitation(campaign, hours_ago=1)

    assert invitation_send(invitation_id=own.pk, batch_size=50).sent == 1

    assert [_status(i) for i in (later, expired, failed, claimed, answered)] == [
        "scheduled",
        "scheduled",
        "failed",
        "sending",
        "sent",
    ]


def test_a_batch_costs_a_few_queries_plus_one_per_email(campaign, django_assert_num_queries):
    invitations = _due(campaign, 6)
    # state; the claim (a locking select and an update, in a savepoint inside the test's
    # transaction: 4); invitations with tickets and customers, campaigns, first question; the
    # brand (once a batch, and only while the cache is cold, as here); a settle each
    with django_assert_num_queries(9 + 6):
        invitation_send(invitation_id=invitations[0].pk, batch_size=6)
    assert len(mail.outbox) == 6


def test_one_refused_recipient_fails_alone(campaign, smtp_script):
    invitations = _due(campaign, 3)
    smtp_script.extend([None, smtp_reply(550, "no such user")])  # the second email is refused

    result = invitation_send(invitation_id=invitations[0].pk, batch_size=3)

    assert (result.outcome, result.sent) == (SendOutcome.SENT, 2)
    assert [_status(i) for i in invitations] == ["sent", "failed", "sent"]
    assert m.Invitation.objects.get(pk=invitations[1].pk).last_error == "550 no such user"


def test_one_busy_mailbox_is_retried_alone(campaign, smtp_script, settings):
    settings.INVITATION_RETRY_BASE_SECONDS = 30
    invitations = _due(campaign, 3)
    smtp_script.extend([None, smtp_reply(452, "mailbox busy")])

    result = invitation_send(invitation_id=invitations[0].pk, batch_size=3)

    assert result.retries == {invitations[1].pk: 30.0}
    assert [_status(i) for i in invitations] == ["sent", "scheduled", "sent"]


@pytest.mark.parametrize(
    "error",
    [ConnectionRefusedError(111, "Connection refused"), smtp_reply(421, "closing")],
    ids=["refused", "421"],
)
def test_a_server_out_of_reach_reschedules_the_rest_of_the_batch_untried(
    campaign, smtp_script, settings, error
):
    settings.INVITATION_RETRY_BASE_SECONDS = 30
    invitations = _due(campaign, 4)
    smtp_script.extend([None, error])

    result = invitation_send(invitation_id=invitations[0].pk, batch_size=4)

    assert result.sent == 1
    assert result.retries == {invitation.pk: 30.0 for invitation in invitations[1:]}
    assert len(mail.outbox) == 1
    assert smtp_script == []  # nothing tried after the failure
    for invitation in invitations[1:]:
        invitation.refresh_from_db()
        assert (invitation.status, invitation.attempts, invitation.claimed_at) == ("scheduled", 1, None)
        assert invitation.send_after > timezone.now() + timedelta(seconds=25)
        assert invitation.last_error


def test_a_task_out_of_time_hands_back_the_untried_and_leaves_the_one_in_flight_to_the_lease(
    campaign, smtp_script
):
    from celery.exceptions import SoftTimeLimitExceeded

    invitations = _due(campaign, 4)
    smtp_script.extend([None, SoftTimeLimitExceeded()])  # the limit strikes during the second

    with pytest.raises(SoftTimeLimitExceeded):
        invitation_send(invitation_id=invitations[0].pk, batch_size=4)

    assert [_status(i) for i in invitations] == ["sent", "sending", "scheduled", "scheduled"]
    assert len(mail.outbox) == 1


def test_a_batch_out_of_time_hands_back_what_it_has_not_tried(campaign, settings):
    settings.INVITATION_BATCH_SECONDS = 0
    invitations = _due(campaign, 3)

    result = invitation_send(invitation_id=invitations[0].pk, batch_size=3)

    assert (result.outcome, result.sent) == (SendOutcome.SENT, 1)  # its own always goes
    for invitation in invitations[1:]:
        invitation.refresh_from_db()
        assert (invitation.status, invitation.attempts, invitation.claimed_at) == ("scheduled", 0, None)


def test_a_customer_who_opted_out_is_cancelled_inside_a_batch(campaign):
    own = due_invitation(campaign)
    opted_out = due_invitation(
        campaign, ticket=TicketFactory(customer=CustomerFactory(opted_out_at=timezone.now()))
    )

    assert invitation_send(invitation_id=own.pk, batch_size=5).sent == 1

    assert _status(opted_out) == "cancelled"
    assert len(mail.outbox) == 1


def test_a_due_reminder_goes_first_with_due_first_sends_after_it(campaign):
    campaign.reminder_after_hours = 2
    campaign.save()
    reminded = sent_invitation(campaign, hours_ago=3)
    waiting = due_invitation(campaign)

    result = invitation_send(invitation_id=reminded.pk, batch_size=5)

    assert (result.outcome, result.sent) == (SendOutcome.REMINDED, 2)
    assert mail.outbox[0].subject.startswith("Reminder: ")
    assert _status(waiting) == "sent"
    assert m.Invitation.objects.get(pk=reminded.pk).reminders_sent == 1


def test_while_a_backlog_lasts_any_message_sends_a_batch(campaign):
    sent = sent_invitation(campaign, hours_ago=1)  # its message arrives after a batch sent it
    waiting = _due(campaign, 3)

    result = invitation_send(invitation_id=sent.pk, batch_size=10)

    assert (result.outcome, result.sent) == (SendOutcome.SKIPPED, 3)
    assert [_status(i) for i in waiting] == ["sent"] * 3


def test_the_task_sends_a_batch_and_reenqueues_each_short_retry(campaign, smtp_script, settings):
    settings.INVITATION_SEND_BATCH_SIZE = 3
    settings.INVITATION_RETRY_BASE_SECONDS = 20
    invitations = _due(campaign, 3)
    smtp_script.extend([None, ConnectionResetError()])

    with mock.patch.object(tasks.invitation_send, "apply_async", autospec=True) as apply_async:
        assert tasks.invitation_send(invitations[0].pk) == "sent"

    assert sorted(call.args for call in apply_async.call_args_list) == [
        ((invitation.pk,),) for invitation in invitations[1:]
    ]
    assert {call.kwargs["countdown"] for call in apply_async.call_args_list} == {20.0}
