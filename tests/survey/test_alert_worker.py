"""The detractor alert end to end: submit → on commit → Redis → a real Celery worker → email."""

import time

import pytest
from django.core import mail
from django.test import Client

from surveys import models as m
from tests.integration.conftest import celery_worker_real  # noqa: F401 - the fixture
from tests.survey.conftest import url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_detractor_submit_emails_the_campaign_recipients_through_a_real_worker(
    celery_worker_real,  # noqa: F811 - pytest fixture
    invitation,
):
    page = Client().post(url(invitation), {"nps": "1", "why": "rude", "comment": "Nobody called"})
    assert page.status_code == 303

    deadline = time.monotonic() + 30
    while len(mail.outbox) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [e.to for e in mail.outbox] == [["lead@example.com"], ["boss@example.com"]]  # one each
    email = mail.outbox[0]
    assert "Detractor (NPS 1)" in email.subject
    assert "Nobody called" in email.body
    assert m.FollowUp.objects.get().reason == m.FollowUpReason.DETRACTOR
