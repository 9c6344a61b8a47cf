"""Delivering alerts: a local HTTP server stands in for the incoming webhook; email goes to
Django's test outbox, one message per recipient."""

import socket
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail

from surveys import models as m
from surveys.services.alert_delivery import DeliveryTransientError, alert_delivery_send
from surveys.services.alerts import alert_rule_evaluate
from surveys.tasks.alerts import alert_deliver
from tests.reports.helpers import response, ticket

from .conftest import NOW, make_rule
from .webhook_server import WebhookServer

pytestmark = pytest.mark.django_db


def fired_rule(**kwargs):
    rule = make_rule(**kwargs)
    for minutes in (10, 20):
        response(ticket(NOW - timedelta(days=2)), NOW - timedelta(minutes=minutes), nps=0)
    with patch("surveys.services.alerts.alert_delivery_enqueue"):
        log = alert_rule_evaluate(rule=rule, now=NOW)
    assert log is not None
    return rule, log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_gets_a_json_text_body_slack_and_teams_accept():
    with WebhookServer([200]) as hook:
        _rule, log = fired_rule(recipients="", webhook_urls=hook.url)
        delivery = log.deliveries.get()
        alert_deliver.apply(args=[delivery.pk])

    assert len(hook.requests) == 1
    request = hook.requests[0]
    assert request["path"] == "/hooks/T123"
    assert request["content_type"].startswith("application/json")
    assert set(request["body"]) == {"text"}
    text = request["body"]["text"]
    assert text.startswith("Alert: NPS below zero — NPS -100 (n = 2)")
    assert "Window: 2026-03-01" in text and "the last 24 h" in text
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at is not None) == (m.DeliveryStatus.SENT, 1, True)


def test_a_500_is_retried_by_celery_and_the_retry_delivers():
    with WebhookServer([500, 200]) as hook:
        _rule, log = fired_rule(recipients="", webhook_urls=hook.url)
        delivery = log.deliveries.get()
        # apply() runs the task here, and Celery runs its retry here too (countdown skipped).
        result = alert_deliver.apply(args=[delivery.pk])

    assert result.successful()
    assert len(hook.requests) == 2
    assert hook.requests[0]["body"] == hook.requests[1]["body"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (m.DeliveryStatus.SENT, 2, "")


def test_a_4xx_is_recorded_and_not_retried():
    with WebhookServer([404, 200]) as hook:
        _rule, log = fired_rule(recipients="", webhook_urls=hook.url)
        delivery = log.deliveries.get()
        result = alert_deliver.apply(args=[delivery.pk])

    assert result.successful()
    assert len(hook.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (m.DeliveryStatus.FAILED, 1)
    assert delivery.last_error == "HTTP 404 from the webhook"


def test_transient_errors_raise_for_a_retry_and_give_up_after_the_last_attempt(settings):
    settings.ALERT_DELIVERY_MAX_ATTEMPTS = 3
    _rule, log = fired_rule(recipients="", webhook_urls=f"http://127.0.0.1:{free_port()}/nobody-listens")
    delivery = log.deliveries.get()

    for _ in range(2):
        with pytest.raises(DeliveryTransientError):
            alert_delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (m.DeliveryStatus.PENDING, 2)
    assert delivery.last_error

    assert alert_delivery_send(delivery_id=delivery.pk) == m.DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (m.DeliveryStatus.FAILED, 3)
    assert delivery.last_error.startswith("gave up after 3 attempts")
    assert alert_delivery_send(delivery_id=delivery.pk) is None  # settled: left alone


def test_email_goes_to_each_recipient_alone_and_a_redelivered_task_sends_nothing_more():
    _rule, log = fired_rule(recipients="lead@example.com\nboss@example.com")
    for delivery in log.deliveries.all():
        alert_deliver(delivery.pk)
        alert_deliver(delivery.pk)  # a re-delivered message

    assert sorted(tuple(e.to) for e in mail.outbox) == [("boss@example.com",), ("lead@example.com",)]
    assert all(e.cc == [] and e.bcc == [] for e in mail.outbox)
    assert mail.outbox[0].subject == log.subject
    assert "NPS -100 (n = 2)" in mail.outbox[0].body
    assert set(log.deliveries.values_list("status", flat=True)) == {m.DeliveryStatus.SENT}


def test_email_and_webhook_together_each_logged_with_its_own_status():
    with WebhookServer([400]) as hook:
        _rule, log = fired_rule(recipients="lead@example.com", webhook_urls=hook.url)
        for delivery in log.deliveries.all():
            alert_deliver.apply(args=[delivery.pk])

    statuses = dict(log.deliveries.values_list("destination", "status"))
    assert statuses == {"lead@example.com": m.DeliveryStatus.SENT, hook.url: m.DeliveryStatus.FAILED}
