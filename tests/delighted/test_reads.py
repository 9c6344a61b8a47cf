"""survey_responses.json, metrics.json, bounces.json and the refusals, through Delighted's
official Python client against the live test server."""

import calendar
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from surveys import models as m
from tests.factories import (
    AnswerFactory,
    CustomerFactory,
    InvitationFactory,
    QuestionFactory,
    ResponseFactory,
)

from .conftest import api_token, client_for, delighted

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def unix(moment: datetime) -> int:
    return calendar.timegm(moment.utctimetuple())


def scored(campaign, *, at: datetime, nps: int, comment: str = "") -> m.Response:
    response = ResponseFactory(
        invitation=InvitationFactory(campaign=campaign, status=m.InvitationStatus.ANSWERED),
        started_at=at,
        submitted_at=at,
        nps_score=nps,
    )
    questions = {q.key: q for q in campaign.questionnaire.questions.all()}
    AnswerFactory(response=response, question=questions["nps"], number=nps)
    if comment:
        AnswerFactory(response=response, question=questions["comment"], number=None, text=comment)
    return response


def test_responses_in_delighted_shape_with_the_person_expanded(delighted_api, nps_campaign):
    reason = QuestionFactory(
        questionnaire=nps_campaign.questionnaire,
        kind=m.QuestionKind.MULTI_CHOICE,
        key="why",
        order=3,
        choices=[{"value": "slow", "en": "Too slow"}, {"value": "rude", "en": "Unfriendly"}],
    )
    response = scored(nps_campaign, at=DAY, nps=3, comment="Took a week.")
    AnswerFactory(response=response, question=reason, number=None, choices=["slow"])

    (listed,) = delighted_api.SurveyResponse.all(expand=["person"])

    customer = response.invitation.customer
    assert listed.id == str(response.pk)
    assert isinstance(listed.person, delighted.Person)
    assert (listed.person.id, listed.person.email) == (str(customer.pk), customer.email)
    assert (listed.survey_type, listed.score, listed.comment) == ("nps", 3, "Took a week.")
    assert listed.created_at == unix(DAY)
    assert listed.permalink.endswith(f"/admin/surveys/response/{response.pk}/change/")
    assert listed.person_properties["campaign"] == nps_campaign.name
    assert listed.additional_answers == [
        {
            "id": str(response.answers.get(question=reason).pk),
            "value": {
                "free_response": None,
                "scale": None,
                "select_one": None,
                "select_many": [{"id": "slow", "text": "Too slow"}],
            },
            "question": {"id": "why", "type": "select_many", "text": reason.text},
        }
    ]
    assert (listed.notes, listed.tags) == ([], [])


def test_since_until_per_page_page_and_order(delighted_api, nps_campaign):
    responses = [scored(nps_campaign, at=DAY + timedelta(days=i), nps=9) for i in range(5)]
    window = {"since": unix(DAY + timedelta(days=1)), "until": unix(DAY + timedelta(days=3))}

    first = delighted_api.SurveyResponse.all(per_page=2, **window)
    second = delighted_api.SurveyResponse.all(per_page=2, page=2, **window)
    newest = delighted_api.SurveyResponse.all(per_page=1, order="desc")

    assert [r.id for r in first] == [str(responses[1].pk), str(responses[2].pk)]
    assert [r.id for r in second] == [str(responses[3].pk)]
    assert [r.id for r in newest] == [str(responses[4].pk)]
    assert isinstance(first[0].person, str)


def test_updated_since_filters_on_the_last_change(delighted_api, nps_campaign):
    with time_machine.travel(DAY, tick=False):
        old = scored(nps_campaign, at=DAY, nps=9)
    with time_machine.travel(DAY + timedelta(days=10), tick=False):
        new = scored(nps_campaign, at=DAY, nps=7)

    listed = delighted_api.SurveyResponse.all(updated_since=unix(DAY + timedelta(days=5)))

    assert [r.id for r in listed] == [str(new.pk)]
    assert old.pk != new.pk


def test_metrics_in_delighted_shape_for_the_window(delighted_api, nps_campaign):
    for score in (10, 9, 9, 7, 2):
        scored(nps_campaign, at=DAY, nps=score)
    scored(nps_campaign, at=DAY - timedelta(days=40), nps=0)

    metrics = delighted_api.Metrics.retrieve(
        since=unix(DAY - timedelta(days=1)), until=unix(DAY + timedelta(days=1))
    )

    assert dict(metrics) == {
        "nps": 40,
        "promoter_count": 3,
        "promoter_percent": 60,
        "passive_count": 1,
        "passive_percent": 20,
        "detractor_count": 1,
        "detractor_percent": 20,
        "response_count": 5,
    }


def test_metrics_with_no_response_are_null_not_zero(delighted_api, nps_campaign):
    metrics = delighted_api.Metrics.retrieve()

    assert metrics.nps is None and metrics.promoter_percent is None and metrics.response_count == 0


def test_bounces_list_people_whose_survey_email_failed_for_good(delighted_api, nps_campaign):
    failed = InvitationFactory(campaign=nps_campaign, status=m.InvitationStatus.FAILED, sent_at=None)
    InvitationFactory(campaign=nps_campaign, status=m.InvitationStatus.SENT)

    (bounce,) = delighted_api.Bounce.all()

    assert (bounce.person_id, bounce.email) == (str(failed.customer_id), failed.customer.email)
    assert bounce.bounced_at == unix(m.Invitation.objects.get(pk=failed.pk).updated_at)


def test_a_wrong_key_gets_401_in_delighted_shape(delighted_api, live_server):
    client = client_for(live_server, "not-a-key")

    with pytest.raises(delighted.errors.AuthenticationError) as refused:
        delighted.Metrics.retrieve(client=client)

    assert refused.value.response.status_code == 401
    assert refused.value.response.body == '{"status": 401, "message": "Invalid API key."}'


def test_a_token_without_the_permission_gets_403(delighted_api, live_server, nps_campaign):
    reader = client_for(live_server, api_token("view_reports"))

    assert delighted.Metrics.retrieve(client=reader).response_count == 0
    with pytest.raises(delighted.errors.GeneralAPIError) as refused:
        delighted.Person.create(email="a@example.org", client=reader)

    assert refused.value.response.status_code == 403
    assert "surveys.add_ticketevent" in refused.value.response.body
    assert not m.Invitation.objects.exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 101}, "per_page"),
        ({"page": 0}, "page"),
        ({"since": "yesterday"}, "since"),
        ({"since": 10, "until": 5}, "since"),
        ({"since": unix(DAY), "until": unix(DAY) - 1}, "until"),
        ({"order": "sideways"}, "order"),
        ({"expand": ["everything"]}, "expand"),
        ({"trend": "x"}, "trend"),
    ],
)
def test_bad_list_parameters_get_a_422_naming_them(delighted_api, params, field):
    with pytest.raises(delighted.errors.ResourceValidationError) as refused:
        delighted_api.SurveyResponse.all(**params)

    assert f'"{field}"' in refused.value.response.body


def test_people_listed_page_by_page_through_the_link_header(delighted_api, nps_campaign):
    customers = [CustomerFactory() for _ in range(3)]
    CustomerFactory(email=None, name="", erased_at=DAY)
    scheduled = InvitationFactory(
        campaign=nps_campaign,
        ticket__customer=customers[1],
        status=m.InvitationStatus.SCHEDULED,
        sent_at=None,
        send_after=DAY + timedelta(days=1),
    )

    people = list(delighted_api.Person.list(per_page=2).auto_paging_iter())

    assert [p.id for p in people] == [str(c.pk) for c in customers]
    assert people[1].next_survey_scheduled_at == unix(scheduled.send_after)
    assert people[0].next_survey_scheduled_at is None and people[0].last_sent_at is None
    (found,) = delighted_api.Person.list(email=customers[2].email.upper()).auto_paging_iter()
    assert found.email == customers[2].email
