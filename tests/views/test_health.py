"""/healthz: each part's state as JSON; 200 "degraded" without Redis or the broker, 503 only
without the database. The unreachable parts are closed loopback ports: no server needed."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from surveys.services.health import HEARTBEAT_KEY, heartbeat_record
from tests.sending.smtp_sink import free_port


def dead_redis_url() -> str:
    # free_port() binds and closes: nothing listens there, so connecting is refused at once.
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def broker_unreachable(monkeypatch):
    from surveys_project.celery import app

    real = app.conf.broker_url
    dead = dead_redis_url()
    # Celery reads a CELERY_BROKER_URL environment variable before app.conf (as .ci/run sets).
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    app.conf.broker_url = dead
    yield
    monkeypatch.undo()
    app.conf.broker_url = real


def test_all_parts_answering_and_a_fresh_heartbeat_is_ok(client, db):
    heartbeat_record()

    page = client.get("/healthz")

    assert page.status_code == 200
    body = page.json()
    assert body["status"] == "ok"
    assert body["parts"] == {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok"}
    assert body["worker_last_seen"] == cache.get(HEARTBEAT_KEY)


def test_no_worker_seen_is_degraded_not_down(client, db):
    cache.delete(HEARTBEAT_KEY)

    page = client.get("/healthz")

    assert page.status_code == 200
    assert page.json()["status"] == "degraded"
    assert page.json()["parts"]["worker"] == "unknown"
    assert page.json()["worker_last_seen"] is None


def test_a_worker_silent_longer_than_the_limit_is_late(client, db, settings):
    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 300
    cache.set(HEARTBEAT_KEY, (timezone.now() - timedelta(seconds=301)).isoformat())

    body = client.get("/healthz").json()

    assert (body["status"], body["parts"]["worker"]) == ("degraded", "late")


def test_redis_cache_unreachable_is_degraded_with_200_and_answers_fast(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "surveys.cache.RedisCache",
            "LOCATION": dead_redis_url(),
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }

    started = time.monotonic()
    page = client.get("/healthz")

    assert time.monotonic() - started < 1.0
    assert page.status_code == 200
    body = page.json()
    assert body["status"] == "degraded"
    assert body["parts"]["database"] == "ok"
    assert body["parts"]["cache"] == "down"
    assert body["parts"]["worker"] == "unknown"  # its heartbeat lives in the cache


def test_broker_unreachable_is_degraded_with_200(client, db, broker_unreachable):
    heartbeat_record()

    page = client.get("/healthz")

    assert page.status_code == 200
    assert page.json()["status"] == "degraded"
    assert page.json()["parts"]["broker"] == "down"
    assert page.json()["parts"]["cache"] == "ok"


def test_database_down_is_503(client, db, monkeypatch):
    class DeadConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("surveys.services.health.connection", DeadConnection())

    page = client.get("/healthz")

    assert page.status_code == 503
    assert page.json()["status"] == "down"
    assert page.json()["parts"]["database"] == "down"


def test_healthz_is_not_cached_and_get_only(client, db):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405
