"""The worker is real: a task enqueued on commit travels through Redis to a Celery worker,
which writes where the web process can read it."""

import time

import pytest
from django.core.cache import cache
from django.db import transaction

from surveys.services.health import HEARTBEAT_KEY
from surveys.tasks import worker_heartbeat

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return None


def test_task_enqueued_on_commit_runs_on_a_real_worker(celery_worker_real, client):
    cache.delete(HEARTBEAT_KEY)
    with transaction.atomic():
        transaction.on_commit(worker_heartbeat.delay)
        # Nothing is sent before the transaction commits.
        time.sleep(0.3)
        assert cache.get(HEARTBEAT_KEY) is None

    assert wait_for(lambda: cache.get(HEARTBEAT_KEY)), "the worker never ran the task"
    assert client.get("/healthz").json()["worker_last_seen"] == cache.get(HEARTBEAT_KEY)


def test_rolled_back_transaction_enqueues_nothing(celery_worker_real):
    cache.delete(HEARTBEAT_KEY)
    with transaction.atomic():
        transaction.on_commit(worker_heartbeat.delay)
        transaction.set_rollback(True)
    time.sleep(1.5)
    assert cache.get(HEARTBEAT_KEY) is None


def test_an_alert_delivery_sent_by_task_name_reaches_the_worker(celery_worker_real):
    """The alert service enqueues deliveries by the task's name (no import of the task module);
    the worker knows that name and sends the email."""
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    from surveys import models as m
    from surveys.services.alerts import alert_delivery_enqueue
    from tests.alerts.conftest import make_rule

    now = timezone.now()
    log = m.AlertLog.objects.create(
        rule=make_rule(recipients="boss@example.com"), kind=m.AlertLogKind.FIRED, fired_at=now, n=3,
        window_start=now - timedelta(hours=24), window_end=now, subject="NPS fell", body="NPS is -100",
    )  # fmt: skip
    delivery = m.AlertDelivery.objects.create(log=log, channel=m.DeliveryChannel.EMAIL, destination="boss@example.com")
    with transaction.atomic():
        transaction.on_commit(lambda: alert_delivery_enqueue(delivery.pk))

    sent = wait_for(lambda: m.AlertDelivery.objects.get(pk=delivery.pk).status == m.DeliveryStatus.SENT)
    assert sent, m.AlertDelivery.objects.get(pk=delivery.pk).last_error
    assert [message.to for message in mail.outbox] == [["boss@example.com"]]
