"""Redis down while invitations fall due: nothing is lost, and once Redis is back the beat
sweep sends every one of them, once.

The web side (ingest) stores invitations and tries to enqueue on commit; with the broker
unreachable the enqueue fails quietly. Here the broker URL points at a closed port while
the invitations are created and enqueued, then the real broker returns.
"""

import time

import pytest
from django.db import transaction

from surveys import models as m
from surveys.tasks import sending as tasks
from tests.integration.conftest import broker_at
from tests.sending.smtp_sink import SmtpSink, free_port
from tests.sending.workers import WorkerProcess, campaign_with_nps, due_invitations_bulk, wait_for, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

COUNT = 20


def broker_unreachable(app, monkeypatch):
    return broker_at(app, f"redis://127.0.0.1:{free_port()}/0", monkeypatch)  # nothing listens there


def test_invitations_made_while_redis_is_down_all_go_out_once_it_is_back(tmp_path, monkeypatch):
    from surveys_project.celery import app

    app.control.purge()
    campaign = campaign_with_nps()
    with broker_unreachable(app, monkeypatch):
        started = time.monotonic()
        with transaction.atomic():
            invitations = due_invitations_bulk(campaign, COUNT)
            for invitation in invitations:
                tasks.invitation_send_enqueue(invitation.pk)
        enqueue_seconds = time.monotonic() - started
    # Stored and due, none lost, none sent; and the failing enqueues did not hang the caller.
    assert m.Invitation.objects.filter(status=m.InvitationStatus.SCHEDULED).count() == COUNT
    assert enqueue_seconds < COUNT * 2

    with SmtpSink() as sink:
        worker = WorkerProcess(
            env=worker_env(smtp_url=sink.url, var_dir=tmp_path), directory=tmp_path, name="after-outage"
        )
        try:
            worker.start()
            assert wait_for(lambda: sink.handler.messages == [], timeout=1.0)  # nothing was queued
            assert tasks.invitations_sweep_due() == COUNT  # beat's next run, with Redis back
            assert wait_for(
                lambda: m.Invitation.objects.filter(status=m.InvitationStatus.SENT).count() == COUNT,
                timeout=30,
            )
            time.sleep(0.5)
        finally:
            worker.stop()
            app.control.purge()
        counts = sink.handler.token_counts()
    assert counts == {invitation.token: 1 for invitation in invitations}
