"""Sending one delivery: the signature our own inbound verifier accepts, what is retried and
what is not, the claim, the sweep, and the refused addresses."""

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from surveys import models as m
from surveys.ingest.signing import signature_verify
from surveys.services.outbound import outbound_ping
from surveys.services.outbound_delivery import (
    LEASE_SECONDS,
    DeliveryRefused,
    delivery_claim,
    outbound_delivery_send,
    outbound_due_ids,
    retry_delay,
    url_check,
)
from surveys.tasks.outbound import outbound_deliver, outbound_sweep

from .conftest import subscribe
from .receiver import Receiver

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
S = m.WebhookDeliveryStatus


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ping(url):
    return outbound_ping(subscription=subscribe(url=url))


def test_what_is_sent_passes_our_own_inbound_signature_check(clock):
    with Receiver() as receiver:
        delivery = ping(receiver.url)
        outcome = outbound_delivery_send(delivery_id=delivery.pk)

    (request,) = receiver.requests
    headers = request["headers"]
    signature_verify(
        secret=delivery.subscription.secret,
        timestamp=headers["X-Surveys-Timestamp"],
        signature=headers["X-Surveys-Signature"],
        body=request["body"],
        now=NOW.timestamp(),
    )
    assert headers["X-Surveys-Timestamp"] == str(int(NOW.timestamp()))
    assert headers["X-Surveys-Signature"].startswith("sha256=")
    assert (headers["X-Surveys-Event"], headers["X-Surveys-Event-Id"]) == ("ping", delivery.event_id)
    assert headers["X-Surveys-Delivery"] == str(delivery.pk)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(request["body"]) == delivery.payload
    assert outcome.status == S.DELIVERED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (S.DELIVERED, 1, 200)
    assert (delivery.delivered_at, delivery.next_attempt_at, delivery.last_error) == (NOW, None, "")


def test_another_secret_does_not_verify(clock):
    from surveys.ingest.signing import SignatureInvalid

    with Receiver() as receiver:
        delivery = ping(receiver.url)
        outbound_delivery_send(delivery_id=delivery.pk)
    headers = receiver.requests[0]["headers"]

    with pytest.raises(SignatureInvalid):
        signature_verify(
            secret="whsec_other",
            timestamp=headers["X-Surveys-Timestamp"],
            signature=headers["X-Surveys-Signature"],
            body=receiver.requests[0]["body"],
            now=NOW.timestamp(),
        )


def test_waits_grow_threefold_from_a_minute_capped_at_twelve_hours(settings):
    settings.OUTBOUND_RETRY_BASE_SECONDS = 60
    settings.OUTBOUND_RETRY_MAX_SECONDS = 12 * 3600

    waits = [retry_delay(n) for n in range(1, 9)]

    assert waits == [60, 180, 540, 1620, 4860, 14580, 43200, 43200]
    # Eight tries (seven waits) span about 18 hours: a receiver down overnight still gets it.
    assert 17 * 3600 < sum(waits[:7]) < 19 * 3600


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_a_5xx_429_or_408_is_retried_later(clock, status):
    with Receiver([status]) as receiver:
        delivery = ping(receiver.url)
        outcome = outbound_delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (S.PENDING, 1, status)
    assert delivery.next_attempt_at == NOW + timedelta(seconds=60)
    assert delivery.last_error.startswith(f"HTTP {status}")
    assert outcome.retry_in == 60


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_permanent_4xx_fails_at_once_and_is_never_tried_again(clock, status):
    with Receiver([status]) as receiver:
        delivery = ping(receiver.url)
        outcome = outbound_delivery_send(delivery_id=delivery.pk)
        clock.shift(timedelta(days=2))
        assert outbound_delivery_send(delivery_id=delivery.pk) is None
        assert outbound_due_ids() == []

    delivery.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == (S.FAILED, None)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (S.FAILED, 1, status)
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 1


def test_a_refused_connection_is_transient(clock):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    delivery = ping(f"http://127.0.0.1:{port}/nobody-listens")

    outcome = outbound_delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, outcome.retry_in) == (S.PENDING, None, 60)
    assert "refused" in delivery.last_error.lower()


def test_gives_up_after_the_last_attempt(clock, settings):
    settings.OUTBOUND_MAX_ATTEMPTS = 3
    with Receiver([503]) as receiver:
        delivery = ping(receiver.url)
        for wait in (0, 60, 180):
            clock.shift(timedelta(seconds=wait))
            outcome = outbound_delivery_send(delivery_id=delivery.pk)
        clock.shift(timedelta(days=1))
        assert outbound_delivery_send(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert (outcome.status, delivery.status, delivery.attempts) == (S.GAVE_UP, S.GAVE_UP, 3)
    assert delivery.next_attempt_at is None and len(receiver.requests) == 3


def test_a_retry_is_not_sent_before_it_is_due(clock):
    with Receiver([500, 200]) as receiver:
        delivery = ping(receiver.url)
        outbound_delivery_send(delivery_id=delivery.pk)
        clock.shift(timedelta(seconds=59))
        assert outbound_delivery_send(delivery_id=delivery.pk) is None
        clock.shift(timedelta(seconds=1))
        assert outbound_delivery_send(delivery_id=delivery.pk).status == S.DELIVERED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == (S.DELIVERED, 2, 2)


def test_a_redirect_is_not_followed_and_fails(clock):
    with Receiver([302]) as receiver:
        delivery = ping(receiver.url)
        outbound_delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (S.FAILED, 302)
    assert "elsewhere.example" in delivery.last_error and "not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_loopback_and_private_receivers_are_refused_unless_allowed(clock, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with Receiver() as receiver:
        delivery = ping(receiver.url)
        outbound_delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == S.FAILED and "private or reserved" in delivery.last_error
    assert receiver.requests == []
    for url in (
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
    ):
        with pytest.raises(DeliveryRefused):
            url_check(url)
    url_check("http://93.184.215.14/")  # a public address passes


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http:///x"]
)
def test_only_http_and_https_urls_are_used(url):
    with pytest.raises(DeliveryRefused):
        url_check(url)


def test_the_database_refuses_a_subscription_url_that_is_not_http():
    subscription = subscribe()
    with pytest.raises(IntegrityError), transaction.atomic():
        m.WebhookSubscription.objects.filter(pk=subscription.pk).update(url="ftp://example.com/")


def test_two_workers_never_hold_one_delivery_and_a_dead_ones_lease_runs_out(clock):
    delivery = ping("http://127.0.0.1:9/")

    assert delivery_claim(delivery.pk, NOW) is not None
    assert delivery_claim(delivery.pk, NOW) is None  # the second worker gets nothing
    assert delivery_claim(delivery.pk, NOW + timedelta(seconds=LEASE_SECONDS - 1)) is None
    again = delivery_claim(delivery.pk, NOW + timedelta(seconds=LEASE_SECONDS))  # the first died

    assert again is not None and again.attempts == 2


def test_a_late_settle_from_a_worker_whose_lease_was_taken_over_changes_nothing(clock):
    with Receiver([200]) as receiver:
        delivery = ping(receiver.url)
        first = delivery_claim(delivery.pk, NOW)
        delivery_claim(delivery.pk, NOW + timedelta(seconds=LEASE_SECONDS))  # another worker
        from surveys.services.outbound_delivery import Outcome, _settle

        _settle(first, Outcome(S.FAILED, 400, "HTTP 400"), NOW)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (S.DELIVERING, 2)


def test_the_sweep_sends_lost_and_stuck_rows_but_not_fresh_ones(clock, monkeypatch):
    fresh = ping("http://127.0.0.1:9/")
    lost = ping("http://127.0.0.1:9/")
    stuck = ping("http://127.0.0.1:9/")
    later = ping("http://127.0.0.1:9/")
    m.WebhookDelivery.objects.filter(pk=lost.pk).update(next_attempt_at=NOW - timedelta(seconds=61))
    m.WebhookDelivery.objects.filter(pk=stuck.pk).update(status=S.DELIVERING, next_attempt_at=NOW)
    m.WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=NOW + timedelta(hours=4))
    sent = []
    monkeypatch.setattr(outbound_deliver, "delay", lambda pk: sent.append(pk))

    assert outbound_sweep() == 2

    assert sorted(sent) == sorted([lost.pk, stuck.pk])
    assert fresh.pk not in sent and later.pk not in sent


def test_a_soon_retry_is_re_enqueued_with_a_countdown_and_a_far_one_left_to_the_sweep(
    clock, monkeypatch, settings
):
    queued = []
    monkeypatch.setattr(
        outbound_deliver, "apply_async", lambda args, countdown: queued.append((args, countdown))
    )
    settings.OUTBOUND_COUNTDOWN_MAX_SECONDS = 600
    with Receiver([500]) as receiver:
        delivery = ping(receiver.url)
        outbound_deliver(delivery.pk)
        assert queued == [((delivery.pk,), 61)]
        m.WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=5, next_attempt_at=NOW)
        outbound_deliver(delivery.pk)  # 6th failure: the next wait is 4 hours

    assert len(queued) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == NOW + timedelta(seconds=retry_delay(6))


def test_constraints_keep_open_rows_scheduled_and_delivered_rows_dated():
    delivery = ping("http://127.0.0.1:9/")
    rows = m.WebhookDelivery.objects.filter(pk=delivery.pk)
    for bad in (
        {"next_attempt_at": None},
        {"status": S.DELIVERED, "next_attempt_at": None},
        {"status": S.FAILED},
        {"status": "lost", "next_attempt_at": None},
        {"event_type": "response.deleted"},
        {"last_status_code": 99},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**bad)
    with pytest.raises(IntegrityError), transaction.atomic():
        m.WebhookDelivery.objects.create(
            subscription=delivery.subscription,
            event_type="ping",
            event_id=delivery.event_id,
            payload={},
            next_attempt_at=delivery.next_attempt_at,
        )


def test_beat_runs_the_outbound_sweep_every_minute_and_the_worker_knows_both_tasks():
    from surveys_project.celery import app

    assert app.conf.beat_schedule["outbound-sweep"] == {
        "task": "surveys.tasks.outbound_sweep",
        "schedule": 60.0,
    }
    assert {"surveys.tasks.outbound_sweep", "surveys.tasks.outbound_deliver"} <= set(app.tasks)
