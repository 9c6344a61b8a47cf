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
