"""The detractor / complaint alert survives a dead broker: the answer is stored and the page
answers as usual, the alert is claimed in the database (``alerted_at``), and the beat sweep
enqueues what no message carried."""

import logging
import smtplib
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from surveys import models as m
from surveys.services.notifications import response_alert_send, responses_alert_due_ids
from surveys.tasks.notifications import PUBLISH_PAUSE_SECONDS, response_alert_publish, responses_sweep_alerts
from surveys.transient import TransientSendError
from tests.factories import InvitationFactory, ResponseFactory
from tests.survey.conftest import url

pytestmark = pytest.mark.django_db

DETRACTOR_POST = {"nps": "1", "why": "rude", "comment": "Nobody called"}


def flagged(campaign, *, minutes_ago: float = 5, **fields) -> m.Response:
    fields.setdefault("nps_score", 2)
    fields.setdefault("submitted_at", timezone.now() - timedelta(minutes=minutes_ago))
    return ResponseFactory(
        invitation=InvitationFactory(campaign=campaign, status=m.InvitationStatus.ANSWERED), **fields
    )


@pytest.fixture(autouse=True)
def _publishing(monkeypatch):
    # A failed publish pauses publishing in the process; monkeypatch puts it back afterwards.
    monkeypatch.setattr("surveys.tasks.notifications._paused_until", 0.0)


def test_a_detractor_answer_is_stored_and_the_page_answers_when_the_broker_is_down(
    client, invitation, caplog, django_capture_on_commit_callbacks
):
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        patch("surveys.tasks.notifications.response_alert.delay", autospec=True, side_effect=down) as delay,
        caplog.at_level(logging.WARNING),
        django_capture_on_commit_callbacks(execute=True),
    ):
        page = client.post(url(invitation), DETRACTOR_POST)

    assert page.status_code == 303
    response = m.Response.objects.get(invitation=invitation)
    delay.assert_called_once_with(response.pk)
    assert response.is_complete and response.nps_score == 1
    assert response.alerted_at is None  # not sent: the sweep's to pick up
    assert "the alert sweep will send it" in caplog.text


def test_after_a_failed_publish_the_next_answers_do_not_wait_on_the_broker(campaign, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("surveys.tasks.notifications.time.monotonic", lambda: clock[0])
    down = OperationalError("timed out")
    with patch("surveys.tasks.notifications.response_alert.delay", autospec=True, side_effect=down) as delay:
        assert response_alert_publish(1) is False
        clock[0] += PUBLISH_PAUSE_SECONDS - 1
        assert response_alert_publish(2) is False
        assert delay.call_count == 1  # the second one did not try
        delay.side_effect = None
        clock[0] += 2
        assert response_alert_publish(3) is True
    assert [call.args[0] for call in delay.call_args_list] == [1, 3]


def test_the_sweep_enqueues_flagged_unalerted_responses_only(campaign, settings):
    settings.ALERT_SWEEP_GRACE_SECONDS = 60
    settings.ALERT_SWEEP_WINDOW_SECONDS = 24 * 3600
    detractor = flagged(campaign)
    complaint = flagged(campaign, nps_score=9, is_complaint=True, minutes_ago=10)
    flagged(campaign, nps_score=9)  # a promoter
    flagged(campaign, alerted_at=timezone.now())  # already alerted
    flagged(campaign, minutes_ago=0.1)  # its on-commit message goes first
    flagged(campaign, minutes_ago=25 * 60)  # older than the window
    flagged(campaign, is_complete=False, submitted_at=None)  # one-click only: no alert yet
    silent = InvitationFactory(campaign__alert_recipients="", status=m.InvitationStatus.ANSWERED)
    ResponseFactory(invitation=silent, nps_score=0, submitted_at=timezone.now() - timedelta(minutes=5))

    assert responses_alert_due_ids(limit=10) == [complaint.pk, detractor.pk]  # oldest first

    with patch("surveys.tasks.notifications.response_alert.delay", autospec=True) as delay:
        assert responses_sweep_alerts() == 2
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted([complaint.pk, detractor.pk])


def test_alert_claims_in_the_database_and_sends_once(campaign):
    response = flagged(campaign)

    assert response_alert_send(response_id=response.pk) is True
    assert response_alert_send(response_id=response.pk) is False

    # One message per recipient, each alone on its To line; none twice.
    assert sorted(message.to for message in mail.outbox) == sorted([to] for to in campaign.recipient_list)
    response.refresh_from_db()
    assert response.alerted_at is not None
    assert responses_alert_due_ids(limit=10) == []


@pytest.mark.parametrize(
    "error, retried, raised",
    [
        (smtplib.SMTPServerDisconnected("gone"), True, TransientSendError),
        (smtplib.SMTPResponseException(451, b"try later"), True, TransientSendError),
        (smtplib.SMTPRecipientsRefused({"x@y": (550, b"no")}), False, smtplib.SMTPRecipientsRefused),
    ],
    ids=["transient", "transient-4xx", "permanent"],
)
def test_a_failed_alert_is_released_for_a_retry_only_when_the_error_is_transient(
    campaign, settings, error, retried, raised
):
    settings.ALERT_SWEEP_GRACE_SECONDS = 0
    response = flagged(campaign)

    with (
        patch("django.core.mail.backends.locmem.EmailBackend.send_messages", autospec=True, side_effect=error),
        pytest.raises(raised),  # a transient one classified, so the task's RETRY_ON retries it
    ):
        response_alert_send(response_id=response.pk)

    response.refresh_from_db()
    assert (response.alerted_at is None) is retried
    assert (responses_alert_due_ids(limit=10) == [response.pk]) is retried
