"""Redis stops mid-run: customers' answers are still stored, /healthz says "degraded" with 200,
and once Redis is back a real Celery worker catches up on what could not be enqueued.

The cache and the broker both point at a private redis-server of this test, which it stops
and starts again on the same port; the shared Redis of the machine is never touched.
"""

import logging
import time
import uuid

import pytest
from django.core import mail
from django.test import Client

from surveys import models as m
from surveys.services.health import heartbeat_record
from surveys.tasks import notifications, responses_sweep_alerts, worker_heartbeat
from tests.factories import InvitationFactory
from tests.integration.conftest import broker_at, private_redis, worker_thread  # noqa: F401 - the fixture
from tests.survey.conftest import campaign, questionnaire, url  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DETRACTOR_POST = {"nps": "1", "why": "rude", "comment": "Nobody called back"}


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_redis_stopped_mid_run_loses_no_answer_degrades_healthz_and_catches_up_when_back(
    private_redis,  # noqa: F811 - pytest fixture
    campaign,  # noqa: F811 - pytest fixture
    settings,
    monkeypatch,
    caplog,
):
    from surveys_project.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "surveys.cache.RedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": uuid.uuid4().hex,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5, "FAIL_OPEN_RETRY_SECONDS": 0.5},
        }
    }
    settings.SURVEY_RATE_LIMITS = {"survey-token": (3, 600), "survey-score-token": (3, 600)}
    settings.ALERT_SWEEP_GRACE_SECONDS = 0
    client = Client()
    scored, detractor, later = (InvitationFactory(campaign=campaign) for _ in range(3))

    with broker_at(app, private_redis.url, monkeypatch):
        heartbeat_record()
        before = client.get("/healthz")
        assert (before.status_code, before.json()["status"]) == (200, "ok"), before.json()

        private_redis.stop()
        with caplog.at_level(logging.WARNING):
            started = time.monotonic()
            # Past the score saves' limit of 3: nothing counts while Redis is away.
            for score in ("3", "4", "5", "6", "7"):
                page = client.post(url(scored), {"action": "score", "nps": score}, HTTP_ACCEPT="application/json")
                assert (page.status_code, page.json()["saved"]) == (200, True)
            page = client.post(url(detractor), DETRACTOR_POST)
            assert page.status_code == 303
            elapsed = time.monotonic() - started

            health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["parts"] == {
            "database": "ok",
            "cache": "down",
            "broker": "down",
            "worker": "unknown",
        }
        assert elapsed < 5.0, elapsed  # six posts; the failing alert publish gives up fast
        cache_warnings = [r for r in caplog.records if r.name == "surveys.cache"]
        assert len(cache_warnings) == 1, [r.getMessage() for r in cache_warnings]  # not one per request
        assert "the alert sweep will send it" in caplog.text

        # Stored, all of it; the alert is waiting in the database.
        assert m.Response.objects.get(invitation=scored).nps_score == 7
        stored = m.Response.objects.get(invitation=detractor)
        assert stored.is_complete and stored.alerted_at is None
        assert m.FollowUp.objects.filter(response=stored).exists()
        assert mail.outbox == []

        private_redis.start()
        time.sleep(0.6)  # the backend's retry window
        # The failed publish paused publishing in this process; the worker here shares it
        # (in production it is another process), so end the pause as its 30 s would.
        notifications._paused_until = 0.0
        app.control.purge()
        with worker_thread(app):
            # What beat sends every minute, now that the broker takes messages again.
            responses_sweep_alerts.delay()
            worker_heartbeat.delay()
            recipients = len(stored.invitation.campaign.recipient_list)  # one message each
            assert wait_for(lambda: len(mail.outbox) == recipients), "the alert never went out"
            assert wait_for(lambda: client.get("/healthz").json()["status"] == "ok")

        stored.refresh_from_db()
        assert stored.alerted_at is not None
        assert "Detractor (NPS 1)" in mail.outbox[0].subject
        assert "Nobody called back" in mail.outbox[0].body

        # Rate limits count again.
        codes = [
            client.post(url(later), {"action": "score", "nps": "8"}, HTTP_ACCEPT="application/json").status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
