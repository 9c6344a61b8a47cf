"""Alert rules end to end: the beat task through Redis to a real Celery worker, which
evaluates the rule and delivers to a webhook and by email."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from surveys import models as m
from surveys.tasks.alerts import alerts_evaluate
from tests.integration.conftest import celery_worker_real  # noqa: F401 - the fixture
from tests.reports.helpers import response, ticket

from .conftest import make_rule
from .webhook_server import WebhookServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_beat_task_fires_a_rule_through_a_real_worker(celery_worker_real):  # noqa: F811 - pytest fixture
    now = timezone.now()
    for minutes in (10, 20):
        response(ticket(now - timedelta(days=2)), now - timedelta(minutes=minutes), nps=0)
    with WebhookServer([200]) as hook:
        rule = make_rule(recipients="lead@example.com", webhook_urls=hook.url)
        alerts_evaluate.delay()

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            m.AlertDelivery.objects.filter(status=m.DeliveryStatus.SENT).count() < 2
        ):
            time.sleep(0.2)

    log = m.AlertLog.objects.get(rule=rule)
    assert (log.kind, log.figure, log.n) == (m.AlertLogKind.FIRED, -100.0, 2)
    assert set(log.deliveries.values_list("status", flat=True)) == {m.DeliveryStatus.SENT}
    assert len(hook.requests) == 1 and hook.requests[0]["body"]["text"].startswith("Alert: NPS below zero")
    assert [e.to for e in mail.outbox] == [["lead@example.com"]]
