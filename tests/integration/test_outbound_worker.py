"""Outbound events end to end: a survey answer through Redis to a real Celery worker, which
POSTs the signed event to a local HTTP server; a 500 is answered by a retry that succeeds, a
permanent 400 is recorded after one attempt (no retry storm), and a lost message is sent by
the sweep."""

import json
import socket
import time

import pytest

from surveys import models as m
from surveys.forms import AnswerData
from surveys.ingest.signing import signature_verify
from surveys.services.outbound import outbound_ping
from surveys.services.responses import response_submit
from surveys.tasks.outbound import outbound_sweep
from tests.factories import InvitationFactory, QuestionFactory
from tests.outbound.conftest import subscribe
from tests.outbound.receiver import Receiver

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker_real", "fast_retries"),
]
S = m.WebhookDeliveryStatus
# This test's own port range (shared machines: each suite keeps to its range).
PORTS = range(20800, 20900)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


@pytest.fixture
def fast_retries(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_RETRY_BASE_SECONDS = 1.0


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def verified(request, secret) -> dict:
    headers = request["headers"]
    signature_verify(
        secret=secret,
        timestamp=headers["X-Surveys-Timestamp"],
        signature=headers["X-Surveys-Signature"],
        body=request["body"],
    )
    return json.loads(request["body"])


def test_a_500_is_answered_by_a_retry_that_succeeds():
    invitation = InvitationFactory()
    nps = QuestionFactory(questionnaire=invitation.questionnaire, key="nps", kind=m.QuestionKind.NPS)
    with Receiver([500, 200], port=free_port()) as receiver:
        subscription = subscribe(url=receiver.url, events=["response.completed"])
        response_submit(invitation=invitation, answers=[AnswerData(question=nps, number=9)], language="en")

        assert wait_for(lambda: m.WebhookDelivery.objects.filter(status=S.DELIVERED).exists())

    delivery = m.WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (2, 200, "")
    first, second = (verified(r, subscription.secret) for r in receiver.requests)
    assert first == second and first["id"] == delivery.event_id
    assert (first["type"], first["data"]["response"]["nps_score"]) == ("response.completed", 9)


def test_a_permanent_400_is_recorded_after_one_attempt():
    with Receiver([400], port=free_port()) as receiver:
        delivery = outbound_ping(subscription=subscribe(url=receiver.url))

        assert wait_for(lambda: m.WebhookDelivery.objects.filter(pk=delivery.pk, status=S.FAILED).exists())
        outbound_sweep.delay()  # the sweep leaves a failed row alone
        time.sleep(4)  # four retry bases: a retry would have come by now

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (S.FAILED, 1, 400)
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 1


def test_a_delivery_whose_message_was_lost_is_sent_by_the_sweep(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    with Receiver([200], port=free_port()) as receiver:
        subscription = subscribe(url=receiver.url)
        # The broker took nothing: the row is written but no task message exists.
        monkeypatch.setattr("surveys.services.outbound._publish", lambda ids: None)
        delivery = outbound_ping(subscription=subscription)
        m.WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(minutes=2)
        )
        time.sleep(1)
        assert receiver.requests == []

        outbound_sweep.delay()

        assert wait_for(lambda: m.WebhookDelivery.objects.filter(pk=delivery.pk, status=S.DELIVERED).exists())
    assert len(receiver.requests) == 1
    assert verified(receiver.requests[0], subscription.secret)["type"] == "ping"
