"""Sending through real parts: a Celery worker process, Redis, PostgreSQL and an SMTP server.

Duplicate messages send one email; SMTP 421 for a while is retried, then sent once; 550
fails the invitation with the reason and is never retried.
"""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from surveys import models as m
from surveys.tasks import sending as tasks
from tests.sending.smtp_sink import SmtpSink
from tests.sending.workers import WorkerProcess, campaign_with_nps, due_invitations_bulk, wait_for, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def start_worker(sink, tmp_path, transactional_db):
    from surveys_project.celery import app

    app.control.purge()
    started = []

    def start(name="w", pool="prefork", concurrency=2, **env):
        worker = WorkerProcess(
            env=worker_env(smtp_url=sink.url, var_dir=tmp_path, **env),
            directory=tmp_path,
            name=name,
            pool=pool,
            concurrency=concurrency,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
    app.control.purge()


def _status(invitation):
    return m.Invitation.objects.values_list("status", flat=True).get(pk=invitation.pk)


def test_five_duplicate_messages_and_a_sweep_send_one_email(sink, start_worker):
    start_worker(concurrency=2)
    invitation = due_invitations_bulk(campaign_with_nps(), 1)[0]

    for _ in range(5):
        tasks.invitation_send.delay(invitation.pk)
    tasks.invitations_sweep_due()

    assert wait_for(lambda: _status(invitation) == m.InvitationStatus.SENT, timeout=20)
    time.sleep(1.0)  # let every duplicate message be consumed
    assert sink.handler.token_counts() == {invitation.token: 1}
    assert sink.handler.data_commands == 1


def test_smtp_421_for_a_while_is_retried_then_sent_once(sink, start_worker):
    sink.handler.replies = ["421 4.3.2 Service busy, try later"] * 3
    start_worker(INVITATION_RETRY_BASE_SECONDS=0.3, INVITATION_RETRY_MAX_SECONDS=1)
    invitation = due_invitations_bulk(campaign_with_nps(), 1)[0]

    tasks.invitation_send.delay(invitation.pk)

    assert wait_for(lambda: _status(invitation) == m.InvitationStatus.SENT, timeout=30), (
        m.Invitation.objects.get(pk=invitation.pk).last_error
    )
    time.sleep(0.5)
    invitation.refresh_from_db()
    assert sink.handler.data_commands == 4  # three refusals, one acceptance
    assert sink.handler.token_counts() == {invitation.token: 1}
    assert (invitation.attempts, invitation.last_error) == (4, "")  # the tries it took


def test_smtp_550_fails_with_the_reason_and_is_not_retried(sink, start_worker):
    sink.handler.always = "550 5.1.1 <nobody@example.org>: mailbox unavailable"
    start_worker(INVITATION_RETRY_BASE_SECONDS=0.3)
    invitation = due_invitations_bulk(campaign_with_nps(), 1)[0]

    tasks.invitation_send.delay(invitation.pk)

    assert wait_for(lambda: _status(invitation) == m.InvitationStatus.FAILED, timeout=20)
    # Every beat sweep, run again and again, leaves a failed invitation alone.
    for _ in range(3):
        tasks.invitations_sweep_due()
        tasks.invitations_sweep_stuck()
        tasks.invitations_send_reminders()
        tasks.invitation_send.delay(invitation.pk)
    time.sleep(2.0)
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.FAILED
    assert invitation.last_error == "550 5.1.1 <nobody@example.org>: mailbox unavailable"
    assert invitation.attempts == 1  # the one try made, not INVITATION_MAX_ATTEMPTS
    assert sink.handler.data_commands == 1
    assert sink.handler.messages == []


def test_reminder_goes_out_once_through_the_real_worker(sink, start_worker):
    campaign = campaign_with_nps(reminder_after_hours=1, max_reminders=1)
    invitation = due_invitations_bulk(campaign, 1)[0]
    start_worker()
    tasks.invitation_send.delay(invitation.pk)
    assert wait_for(lambda: _status(invitation) == m.InvitationStatus.SENT, timeout=20)
    # An hour later, as far as the database knows.
    earlier = timezone.now() - timedelta(hours=2)
    m.Invitation.objects.filter(pk=invitation.pk).update(last_sent_at=earlier)

    for _ in range(3):
        tasks.invitations_send_reminders()

    assert wait_for(lambda: m.Invitation.objects.get(pk=invitation.pk).reminders_sent == 1, timeout=20)
    time.sleep(1.0)
    subjects = [message["Subject"] for message in sink.handler.messages]
    assert len(subjects) == 2 and subjects[1].startswith("Reminder: ")
    assert m.Invitation.objects.get(pk=invitation.pk).reminders_sent == 1


def test_worker_recovers_from_a_database_connection_killed_between_tasks(sink, start_worker):
    """Workers keep their database connection between tasks (CELERY_DB_REUSE_MAX); one that
    PostgreSQL dropped costs at most one failed task, and the sweep sends what it held up."""
    first, second = due_invitations_bulk(campaign_with_nps(), 2)
    # Not due yet: the first task's batch (a send also sends other due invitations) must not
    # take it, or a kill that lands while that task is still at work leaves it `sending` until
    # the lease ends, a case of its own (the stuck sweep's tests).
    m.Invitation.objects.filter(pk=second.pk).update(send_after=timezone.now() + timedelta(hours=1))
    worker = start_worker(pool="solo", concurrency=1)
    tasks.invitation_send.delay(first.pk)
    assert wait_for(lambda: _status(first) == m.InvitationStatus.SENT, timeout=20)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    m.Invitation.objects.filter(pk=second.pk).update(send_after=timezone.now() - timedelta(seconds=1))
    tasks.invitation_send.delay(second.pk)

    def sent():
        tasks.invitations_sweep_due()  # what beat does every minute, compressed
        return _status(second) == m.InvitationStatus.SENT

    assert wait_for(sent, timeout=30, interval=1.0), worker.log()[-3000:]
    assert worker.popen.poll() is None
    assert sink.handler.token_counts() == {first.token: 1, second.token: 1}


def test_sweep_backlog_guard_reads_the_real_redis_queue():
    from surveys_project.celery import app

    app.control.purge()
    try:
        assert tasks._broker_backlog() == 0
        for _ in range(3):
            tasks.invitation_send.delay(987654)
        assert tasks._broker_backlog() == 3
    finally:
        app.control.purge()
