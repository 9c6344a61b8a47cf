"""Where events are recorded (a response written, a case opened or closed, a rule firing),
what their payloads hold, and what never leaves: erased customers, and comments nobody asked for."""

import json
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from surveys import models as m
from surveys.forms import AnswerData
from surveys.services.alerts import alert_rule_evaluate
from surveys.services.customers import customer_erase
from surveys.services.followups import followup_close, followup_update
from surveys.services.outbound_delivery import delivery_body, outbound_delivery_send
from surveys.services.responses import response_record_score, response_submit
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory

from .conftest import subscribe
from .receiver import Receiver

pytestmark = pytest.mark.django_db
DELAY = "surveys.tasks.outbound.outbound_deliver.delay"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
E = m.OutboundEvent


@pytest.fixture
def invitation(db):
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, key="nps", kind=m.QuestionKind.NPS, order=1)
    QuestionFactory(questionnaire=questionnaire, key="comment", kind=m.QuestionKind.TEXT, order=2)
    campaign = CampaignFactory(questionnaire=questionnaire, name="After support", create_followups=True)
    return InvitationFactory(
        campaign=campaign, ticket__reference="queue-7", ticket__subject="Refund for Ann Lee"
    )


def answers(invitation, nps, comment=""):
    questions = {q.key: q for q in invitation.questionnaire.questions.all()}
    given = [AnswerData(question=questions["nps"], number=nps)]
    if comment:
        given.append(AnswerData(question=questions["comment"], text=comment))
    return given


def submit(invitation, nps, comment="", capture=None):
    with patch(DELAY) as delay, capture(execute=True):
        response = response_submit(
            invitation=invitation, answers=answers(invitation, nps, comment), language="en"
        )
    return response, [call.args[0] for call in delay.call_args_list]


def kinds():
    return list(m.WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))


def test_a_submit_records_created_then_completed_and_enqueues_both_after_commit(
    invitation, django_capture_on_commit_callbacks
):
    subscribe()

    response, enqueued = submit(invitation, 9, capture=django_capture_on_commit_callbacks)

    assert kinds() == [E.RESPONSE_CREATED, E.RESPONSE_COMPLETED]
    assert enqueued == list(m.WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
    completed = m.WebhookDelivery.objects.get(event_type=E.RESPONSE_COMPLETED).payload
    assert completed["type"] == "response.completed" and completed["id"]
    data = completed["data"]
    assert data["response"] | {"started_at": None, "submitted_at": None} == {
        "id": response.pk,
        "started_at": None,
        "submitted_at": None,
        "is_complete": True,
        "is_complaint": False,
        "language": "en",
        "nps_score": 9,
        "csat_score": None,
        "ces_score": None,
    }
    assert data["campaign"] == {"id": invitation.campaign_id, "name": "After support"}
    assert (data["ticket"]["reference"], data["ticket"]["external_id"]) == (
        "queue-7",
        invitation.ticket.external_id,
    )


def test_a_settled_click_records_created_and_the_later_submit_completed_only(
    invitation, django_capture_on_commit_callbacks
):
    subscribe()
    nps = invitation.questionnaire.questions.get(key="nps")
    with patch(DELAY):
        response_record_score(
            invitation=invitation, question=nps, score=8, language="en", clicked_at=timezone.now()
        )
    assert kinds() == [E.RESPONSE_CREATED]

    submit(invitation, 9, capture=django_capture_on_commit_callbacks)

    assert kinds() == [E.RESPONSE_CREATED, E.RESPONSE_COMPLETED]


def test_a_detractor_opens_a_case_and_closing_it_once_says_so_once(
    invitation, django_capture_on_commit_callbacks
):
    subscribe()
    response, _ = submit(invitation, 2, capture=django_capture_on_commit_callbacks)
    assert kinds() == [E.RESPONSE_CREATED, E.RESPONSE_COMPLETED, E.FOLLOWUP_OPENED]
    opened = m.WebhookDelivery.objects.get(event_type=E.FOLLOWUP_OPENED).payload["data"]
    assert (opened["followup"]["reason"], opened["followup"]["status"]) == ("detractor", "open")
    assert opened["response"]["nps_score"] == 2

    with patch(DELAY):
        followup_close(followup=response.followup, outcome=m.FollowUpOutcome.RECOVERED)
    closed = m.WebhookDelivery.objects.get(event_type=E.FOLLOWUP_CLOSED).payload["data"]["followup"]
    assert (closed["status"], closed["outcome"]) == ("closed", "recovered") and closed["closed_at"]


def test_closing_a_case_in_the_admin_form_says_so_once(invitation, django_capture_on_commit_callbacks):
    subscribe()
    response, _ = submit(invitation, 1, capture=django_capture_on_commit_callbacks)
    followup = response.followup

    with patch(DELAY):
        for _ in range(2):  # saved closed twice: one event
            followup_update(followup=followup, status="closed", owner=None, notes="", outcome="resolved")
        followup_update(followup=followup, status="in_progress", owner=None, notes="")

    assert kinds().count(E.FOLLOWUP_CLOSED) == 1


def test_a_rule_that_fires_sends_alert_fired_and_its_recovery_sends_nothing(settings):
    from tests.alerts.conftest import make_rule
    from tests.reports.helpers import response, ticket

    settings.REPORT_MIN_SAMPLE = 1
    subscribe()
    rule = make_rule()
    with (
        time_machine.travel(NOW, tick=False),
        patch(DELAY),
        patch("surveys.services.alerts.alert_delivery_enqueue"),
    ):
        for score in (0, 1):
            response(ticket(NOW - timedelta(days=3)), NOW - timedelta(hours=1), nps=score)
        fired = alert_rule_evaluate(rule=rule, now=NOW)
        for _ in range(8):
            response(ticket(NOW - timedelta(days=3)), NOW + timedelta(minutes=30), nps=10)
        rule.refresh_from_db()
        recovered = alert_rule_evaluate(rule=rule, now=NOW + timedelta(hours=1))

    assert (fired.kind, recovered.kind) == (m.AlertLogKind.FIRED, m.AlertLogKind.RECOVERED)
    alert = m.WebhookDelivery.objects.get(event_type=E.ALERT_FIRED).payload["data"]["alert"]
    assert (alert["id"], alert["rule"]["id"], alert["figure"], alert["n"]) == (fired.pk, rule.pk, -100.0, 2)
    assert kinds().count(E.ALERT_FIRED) == 1


def test_only_active_subscriptions_to_that_event_get_it(invitation, django_capture_on_commit_callbacks):
    wanted = subscribe(name="wanted", events=[E.RESPONSE_COMPLETED])
    subscribe(name="other event", events=[E.FOLLOWUP_OPENED])
    paused = subscribe(name="paused")
    m.WebhookSubscription.objects.filter(pk=paused.pk).update(is_active=False)

    submit(invitation, 9, capture=django_capture_on_commit_callbacks)

    assert list(m.WebhookDelivery.objects.values_list("subscription", "event_type")) == [
        (wanted.pk, E.RESPONSE_COMPLETED)
    ]


def test_a_rolled_back_answer_records_and_enqueues_nothing(invitation, django_capture_on_commit_callbacks):
    subscribe()
    with (
        patch(DELAY) as delay,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        response_submit(invitation=invitation, answers=answers(invitation, 9), language="en")
        raise RuntimeError("the request failed after the write")

    assert not m.WebhookDelivery.objects.exists() and not delay.called


def test_a_broker_that_refuses_the_message_does_not_fail_the_answer(
    invitation, django_capture_on_commit_callbacks
):
    subscribe()
    with (
        patch(DELAY, side_effect=ConnectionError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = response_submit(invitation=invitation, answers=answers(invitation, 9), language="en")

    assert response.pk and m.WebhookDelivery.objects.count() == 2  # the sweep sends them later


def test_payloads_never_hold_the_customers_address_name_subject_or_words(
    invitation, django_capture_on_commit_callbacks
):
    subscribe(include_comments=True)
    customer = invitation.customer

    submit(invitation, 2, comment="Ann here, call me", capture=django_capture_on_commit_callbacks)

    stored = json.dumps(list(m.WebhookDelivery.objects.values_list("payload", flat=True)))
    for private in (customer.email, customer.name, "Refund for Ann Lee", "Ann here"):
        assert private not in stored


def test_comments_are_sent_only_to_subscriptions_that_include_them(
    invitation, django_capture_on_commit_callbacks
):
    subscribe(name="with", include_comments=True, events=[E.RESPONSE_COMPLETED])
    subscribe(name="without", events=[E.RESPONSE_COMPLETED])
    submit(invitation, 9, comment="Quick and kind", capture=django_capture_on_commit_callbacks)

    sent = {
        d.subscription.name: json.loads(delivery_body(d))["data"]
        for d in m.WebhookDelivery.objects.select_related("subscription")
    }

    assert sent["with"]["comments"] == [{"question": "comment", "text": "Quick and kind"}]
    assert "comments" not in sent["without"]


def test_an_erased_customers_answer_is_never_sent(invitation, django_capture_on_commit_callbacks):
    subscribe()
    customer_erase(customer=invitation.customer)
    invitation.customer.refresh_from_db()

    submit(invitation, 9, capture=django_capture_on_commit_callbacks)

    assert not m.WebhookDelivery.objects.exists()


def test_a_customer_erased_before_the_delivery_is_not_sent(invitation, django_capture_on_commit_callbacks):
    subscribe(events=[E.RESPONSE_COMPLETED])
    with Receiver() as receiver:
        m.WebhookSubscription.objects.update(url=receiver.url)
        submit(invitation, 9, capture=django_capture_on_commit_callbacks)
        customer_erase(customer=invitation.customer)
        delivery = m.WebhookDelivery.objects.get()
        outbound_delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (
        m.WebhookDeliveryStatus.FAILED,
        "not sent: the customer was erased",
    )
    assert receiver.requests == []


def test_nobody_subscribed_costs_one_query(invitation, django_assert_num_queries):
    from surveys.services.outbound import outbound_event

    response = m.Response.objects.create(invitation=invitation)
    with django_assert_num_queries(1):
        assert outbound_event(kind=E.RESPONSE_CREATED, obj=response) == []


@pytest.mark.parametrize("nps", [9, 2])
def test_a_submit_on_the_survey_page_records_its_events(invitation, nps, client, django_capture_on_commit_callbacks):
    # The page reads the invitation with "does anyone subscribe?" and reads the subscriptions
    # only when someone does (selectors.invitation_for_token): this is the "someone does".
    subscribe()
    with patch(DELAY), django_capture_on_commit_callbacks(execute=True):
        answered = client.post(f"/s/{invitation.token}/", {"nps": str(nps)})

    assert answered.status_code == 303
    expected = [E.RESPONSE_CREATED, E.RESPONSE_COMPLETED] + ([E.FOLLOWUP_OPENED] if nps <= 6 else [])
    assert kinds() == expected


def test_a_submit_on_the_survey_page_sends_nothing_to_an_inactive_subscription(invitation, client):
    paused = subscribe()
    paused.is_active = False
    paused.save(update_fields=["is_active"])
    with patch(DELAY) as delay:
        answered = client.post(f"/s/{invitation.token}/", {"nps": "2"})

    assert answered.status_code == 303 and m.FollowUp.objects.count() == 1
    assert kinds() == [] and not delay.called
