"""The alert for a detractor or complaint that only one-clicked, and the alert's wording."""

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail

from surveys import models as m
from surveys.answers import AnswerData
from surveys.services.notifications import one_click_alert_due, one_click_alert_due_ids, response_alert_send
from surveys.services.responses import response_record_score, response_submit
from surveys.tasks.notifications import one_click_alerts_sweep, response_alert
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db
CLICKED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ENQUEUE = "surveys.tasks.notifications.response_alert.delay"


def q(questionnaire, key):
    return questionnaire.questions.get(key=key)


def click(invitation, questionnaire, score):
    with time_machine.travel(CLICKED, tick=False):
        return response_record_score(
            invitation=invitation, question=q(questionnaire, "nps"), score=score, language="en", clicked_at=CLICKED
        )


def sweep(at, django_capture_on_commit_callbacks):
    with time_machine.travel(at, tick=False), patch(ENQUEUE) as enqueue, django_capture_on_commit_callbacks(
        execute=True
    ):
        one_click_alerts_sweep()
    return [call.args[0] for call in enqueue.call_args_list], enqueue


def test_a_detractor_click_alerts_once_after_the_delay(
    invitation, questionnaire, settings, django_capture_on_commit_callbacks
):
    settings.ONE_CLICK_ALERT_DELAY_SECONDS = 300
    response = click(invitation, questionnaire, 2)

    early, _ = sweep(CLICKED + timedelta(seconds=299), django_capture_on_commit_callbacks)
    assert early == []  # still provisional
    due, enqueue = sweep(CLICKED + timedelta(seconds=300), django_capture_on_commit_callbacks)
    assert due == [response.pk]
    assert enqueue.call_args.kwargs == {"one_click": True}

    with time_machine.travel(CLICKED + timedelta(seconds=310), tick=False):
        assert response_alert_send(response_id=response.pk, one_click=True) is True
    response.refresh_from_db()
    assert response.one_click_alerted_at == CLICKED + timedelta(seconds=310)  # the send's claim
    response_alert(response.pk, one_click=True)  # a re-delivered task sends nothing more
    again, _ = sweep(CLICKED + timedelta(seconds=900), django_capture_on_commit_callbacks)
    assert again == []  # alerted once
    assert [e.to for e in mail.outbox] == [["lead@example.com"], ["boss@example.com"]]
    assert "Only the one-click score was given" in mail.outbox[0].body
    assert "Question nps?: 2 (0–10)" in mail.outbox[0].body


def test_a_changed_click_restarts_the_wait(invitation, questionnaire, django_capture_on_commit_callbacks):
    click(invitation, questionnaire, 9)
    with time_machine.travel(CLICKED + timedelta(seconds=200), tick=False):
        response_record_score(
            invitation=invitation,
            question=q(questionnaire, "nps"),
            score=1,
            language="en",
            clicked_at=CLICKED + timedelta(seconds=200),
        )
    assert sweep(CLICKED + timedelta(seconds=400), django_capture_on_commit_callbacks)[0] == []
    assert len(sweep(CLICKED + timedelta(seconds=500), django_capture_on_commit_callbacks)[0]) == 1


def test_promoters_submitted_responses_and_old_clicks_do_not_alert(
    invitation, campaign, questionnaire, settings
):
    settings.ONE_CLICK_ALERT_MAX_AGE_HOURS = 24
    promoter = click(invitation, questionnaire, 10)
    now = CLICKED + timedelta(hours=1)
    assert list(one_click_alert_due(now=now)) == []

    m.Response.objects.filter(pk=promoter.pk).update(nps_score=3)
    assert list(one_click_alert_due(now=now)) == [promoter]
    assert list(one_click_alert_due(now=CLICKED + timedelta(hours=25))) == []  # too old

    campaign.alert_recipients = ""
    campaign.save()
    assert list(one_click_alert_due(now=now)) == []


def test_a_full_submit_after_the_click_takes_over(invitation, questionnaire, django_capture_on_commit_callbacks):
    response = click(invitation, questionnaire, 2)
    with patch(ENQUEUE):
        response_submit(
            invitation=invitation,
            answers=[
                AnswerData(question=q(questionnaire, "nps"), number=2),
                AnswerData(question=q(questionnaire, "why"), choices=["slow"]),
            ],
            language="en",
        )
    assert sweep(CLICKED + timedelta(hours=1), django_capture_on_commit_callbacks)[0] == []
    # A one-click alert enqueued just before the submit says nothing either.
    assert response_alert_send(response_id=response.pk, one_click=True) is False


def test_a_low_csat_click_is_a_complaint_and_alerts(campaign, questionnaire, django_capture_on_commit_callbacks):
    # A questionnaire whose one-click question is CSAT; the campaign counts CSAT <= 2 as a complaint.
    first_csat = questionnaire.questions.get(key="csat")
    invitation = InvitationFactory(campaign=campaign)
    with time_machine.travel(CLICKED, tick=False):
        response = response_record_score(
            invitation=invitation, question=first_csat, score=1, language="en", clicked_at=CLICKED
        )
    assert response.is_complaint
    assert one_click_alert_due_ids(limit=10, now=CLICKED + timedelta(minutes=10)) == [response.pk]


def test_answers_are_shown_as_their_labels(invitation, questionnaire):
    answers = [
        AnswerData(question=q(questionnaire, "nps"), number=8),
        AnswerData(question=q(questionnaire, "csat"), number=2),
        AnswerData(question=q(questionnaire, "topics"), choices=["billing", "login"]),
        AnswerData(question=q(questionnaire, "solved"), number=0),
        AnswerData(question=q(questionnaire, "complain"), number=1),
    ]
    with patch(ENQUEUE):
        response = response_submit(invitation=invitation, answers=answers, language="en")
    assert response.is_complaint

    assert response_alert_send(response_id=response.pk) is True
    body = mail.outbox[0].body
    assert "Question complain?: Yes" in body
    assert "Question solved?: No" in body
    assert "Question topics?: Billing, Signing in" in body
    assert "Question csat?: 2 (1–5)" in body
    assert "complain?: 1" not in body
