"""A worker killed with SIGKILL in the middle of 500 sends loses nothing and sends nothing twice.

The kill is made by the SMTP server itself when the 200th message begins, so the worker
dies mid-conversation and mid-batch, with the rest of its batch claimed (`sending`) and its
Redis message unacknowledged. A new worker (a thread pool this time) finishes the queue; the
lease sweep hands back the claimed rows and the due sweep sends them. Each of the 500 tokens
must arrive exactly once.
"""

import time
from collections import Counter

import pytest

from surveys import models as m
from surveys.tasks import sending as tasks
from tests.sending.smtp_sink import SmtpSink
from tests.sending.workers import WorkerProcess, campaign_with_nps, due_invitations_bulk, wait_for, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOTAL = 500
KILL_AT = 200


def _count(status) -> int:
    return m.Invitation.objects.filter(status=status).count()


def test_sigkill_mid_send_then_restart_delivers_each_of_500_exactly_once(tmp_path, settings):
    from surveys_project.celery import app

    started = time.monotonic()
    settings.INVITATION_SENDING_LEASE_SECONDS = 3
    invitations = due_invitations_bulk(campaign_with_nps(), TOTAL)
    app.control.purge()
    workers = []
    with SmtpSink() as sink:
        env = worker_env(smtp_url=sink.url, var_dir=tmp_path)
        first = WorkerProcess(env=env, directory=tmp_path, name="doomed", pool="solo")
        workers.append(first)

        def kill_mid_send(count):
            if count == KILL_AT:
                first.kill()

        sink.handler.on_mail = kill_mid_send
        try:
            first.start()
            assert tasks.invitations_sweep_due() == TOTAL
            assert first.wait(timeout=60) is not None, "the worker was never killed"
            sink.handler.on_mail = None

            # Killed mid-batch: the rest of its batch claimed and never settled, and every
            # email the server accepted already settled as sent, so none goes out twice.
            assert 1 <= _count(m.InvitationStatus.SENDING) <= settings.INVITATION_SEND_BATCH_SIZE
            assert len(sink.handler.messages) == KILL_AT - 1
            assert _count(m.InvitationStatus.SENT) == KILL_AT - 1
            # The lease hands the dead worker's claimed rows back. Then it is made long again:
            # a 3 s lease would also take back rows a live worker is still sending when a batch
            # takes longer than that on a loaded machine, and send them twice (as it should, a
            # lease being the promise that a claim older than it is dead).
            stuck = _count(m.InvitationStatus.SENDING)
            time.sleep(settings.INVITATION_SENDING_LEASE_SECONDS + 0.5)
            assert tasks.invitations_sweep_stuck() == stuck
            settings.INVITATION_SENDING_LEASE_SECONDS = 3600

            second = WorkerProcess(
                env=env, directory=tmp_path, name="survivor", pool="threads", concurrency=4
            )
            workers.append(second)
            second.start()

            def all_sent():
                # What beat does every minute, compressed.
                tasks.invitations_sweep_due()
                return _count(m.InvitationStatus.SENT) == TOTAL

            assert wait_for(all_sent, timeout=60, interval=1.0), dict(
                Counter(m.Invitation.objects.values_list("status", flat=True))
            )
            time.sleep(1.0)  # any late duplicate would arrive now
        finally:
            for worker in workers:
                worker.stop()
            app.control.purge()

        counts = sink.handler.token_counts()
    assert set(counts) == {invitation.token for invitation in invitations}
    assert [token for token, n in counts.items() if n != 1] == []
    assert len(sink.handler.messages) == TOTAL
    assert time.monotonic() - started < 90
