"""The Celery tasks are thin: they call the service and enqueue by id. Called directly here;
tests/integration runs them on a real worker."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from surveys import models as m
from surveys.tasks import sending as tasks

from .conftest import due_invitation, sent_invitation, smtp_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    with (
        mock.patch.object(tasks.invitation_send, "apply_async", autospec=True) as apply_async,
        mock.patch.object(tasks, "_broker_backlog", autospec=True, return_value=0),
    ):
        yield apply_async


def test_send_task_sends_and_reports_the_outcome(campaign, broker):
    invitation = due_invitation(campaign)
    assert tasks.invitation_send(invitation.pk) == "sent"
    assert len(mail.outbox) == 1
    broker.assert_not_called()


def test_send_task_reenqueues_a_short_retry(campaign, broker, smtp_script, settings):
    settings.INVITATION_RETRY_BASE_SECONDS = 20
    invitation = due_invitation(campaign)
    smtp_script.append(smtp_reply(421))
    assert tasks.invitation_send(invitation.pk) == "retry"
    broker.assert_called_once_with((invitation.pk,), countdown=20.0)


def test_send_task_leaves_a_long_retry_to_the_sweep(campaign, broker, smtp_script, settings):
    settings.INVITATION_RETRY_BASE_SECONDS = 600
    settings.INVITATION_RETRY_ENQUEUE_MAX_SECONDS = 300
    invitation = due_invitation(campaign)
    smtp_script.append(smtp_reply(421))
    assert tasks.invitation_send(invitation.pk) == "retry"
    broker.assert_not_called()


def test_due_sweep_enqueues_one_message_per_batch_and_the_batches_send_them_all(campaign, broker, settings):
    settings.INVITATION_SEND_BATCH_SIZE = 2
    now = timezone.now()
    due = [due_invitation(campaign, send_after=now - timedelta(minutes=10 - n)) for n in range(5)]
    later = due_invitation(campaign, send_after=now + timedelta(hours=1))

    assert tasks.invitations_sweep_due() == 5

    published = [call.args[0][0] for call in broker.call_args_list]
    assert published == [due[0].pk, due[2].pk, due[4].pk]  # oldest first, one per batch of 2
    for invitation_id in published:
        tasks.invitation_send(invitation_id)
    assert len(mail.outbox) == 5
    assert m.Invitation.objects.get(pk=later.pk).status == m.InvitationStatus.SCHEDULED


def test_due_sweep_survives_a_down_broker(campaign, broker):
    due_invitation(campaign)
    broker.side_effect = OperationalError("connection refused")
    assert tasks.invitations_sweep_due() == 1  # logged; the row stays due for the next sweep
    assert m.Invitation.objects.get().status == m.InvitationStatus.SCHEDULED


def test_reminder_sweep_enqueues_due_reminders(campaign, broker):
    campaign.reminder_after_hours = 2
    campaign.save()
    invitation = sent_invitation(campaign, hours_ago=3)
    assert tasks.invitations_send_reminders() == 1
    broker.assert_called_once_with((invitation.pk,), countdown=None)


def test_stuck_and_expire_tasks_call_their_services(campaign):
    due_invitation(campaign, status=m.InvitationStatus.SENDING, claimed_at=timezone.now() - timedelta(days=1))
    sent_invitation(campaign, hours_ago=1, expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.invitations_sweep_stuck() == 1
    assert tasks.invitations_expire() == 1


def test_enqueue_waits_for_commit(campaign, broker, django_capture_on_commit_callbacks):
    invitation = due_invitation(campaign)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        tasks.invitation_send_enqueue(invitation.pk)
        broker.assert_not_called()
    broker.assert_called_once_with((invitation.pk,), countdown=None)


def test_sweeps_hold_off_while_the_queue_is_long(campaign, broker, settings):
    settings.INVITATION_SWEEP_MAX_BACKLOG = 100
    campaign.reminder_after_hours = 1
    campaign.save()
    due_invitation(campaign)
    sent_invitation(campaign, hours_ago=2)
    with mock.patch.object(tasks, "_broker_backlog", return_value=101):
        assert tasks.invitations_sweep_due() == 0
        assert tasks.invitations_send_reminders() == 0
    broker.assert_not_called()
    with mock.patch.object(tasks, "_broker_backlog", return_value=None):
        assert tasks.invitations_sweep_due() == 1  # the broker could not say: sweep anyway


def test_broker_backlog_asks_the_real_broker_without_raising():
    backlog = tasks._broker_backlog()
    assert backlog is None or backlog >= 0
