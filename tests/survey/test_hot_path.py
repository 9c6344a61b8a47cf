"""The survey page's hot path: few statements whatever the number of questions, no cookie, no
CSRF token, and the two shortcuts kept (rendered question blocks, surveys/fragments.py; the
questions of a questionnaire version in Django's cache, selectors.survey_questions), each
twinned with the library's own result.

The page reads the invitation (one query with its campaign, questionnaire and response) on
every request and the questions (one query) when Django's cache does not hold that version of
them, and stores a submit as one claim UPDATE, one read of the active outbound subscriptions,
one response INSERT and one multi-row answers INSERT; the submit's read of the invitation also
asks whether any outbound subscription is active, and the subscriptions are read only when one
is (bench/bench_survey.py measures the time).
"""

import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys import models as m
from surveys.fragments import FRAGMENTS
from surveys.selectors_brand import brand_current
from surveys.services.responses import response_record_score
from tests.factories import CampaignFactory, InvitationFactory, QuestionnaireFactory
from tests.survey.conftest import add, url

pytestmark = pytest.mark.django_db

FULL = {"nps": "8", "csat": "4", "ces": "6", "stars": "5", "topics": ["billing"], "solved": "yes"}


def test_page_sets_no_cookie_and_a_post_needs_no_csrf_token(invitation):
    client = Client(enforce_csrf_checks=True)

    page = client.get(url(invitation))
    assert page.status_code == 200
    assert page.cookies == {} and "Set-Cookie" not in page
    assert "csrfmiddlewaretoken" not in page.content.decode()

    answered = client.post(url(invitation), FULL)
    assert answered.status_code == 303
    assert m.Response.objects.get(invitation=invitation).nps_score == 8
    assert client.cookies == {}


def test_an_edited_question_shows_at_once(client, invitation):
    assert "How quick were we?" not in client.get(url(invitation)).content.decode()
    question = invitation.questionnaire.questions.get(key="csat")
    question.text = "How quick were we?"
    question.save()

    assert "How quick were we?" in client.get(url(invitation)).content.decode()


def test_an_added_or_deleted_question_shows_at_once(client, invitation):
    questionnaire = invitation.questionnaire
    client.get(url(invitation))  # cached now
    added = add(questionnaire, "extra", m.QuestionKind.TEXT, text="Anything else to add?")
    assert "Anything else to add?" in client.get(url(invitation)).content.decode()

    added.delete()
    assert "Anything else to add?" not in client.get(url(invitation)).content.decode()


def test_each_page_shows_its_own_selection(client, campaign):
    first, second = InvitationFactory(campaign=campaign), InvitationFactory(campaign=campaign)

    chosen = client.get(url(first, score=9)).content.decode()
    plain = client.get(url(second)).content.decode()
    other = client.get(url(second, score=2)).content.decode()

    assert 'value="9" autocomplete="off" checked' in chosen
    assert "checked" not in plain
    assert (
        'value="2" autocomplete="off" checked' in other
        and 'value="9" autocomplete="off" checked' not in other
    )


def test_each_language_gets_its_own_labels(client, invitation):
    english = client.get(url(invitation, lang="en")).content.decode()
    chinese = client.get(url(invitation, lang="zh-hans")).content.decode()

    assert "Question csat?" in english and "问题 csat？" not in english
    assert "问题 csat？" in chinese and "Question csat?" not in chinese


def test_errors_show_only_on_the_refused_post(client, invitation):
    client.get(url(invitation))
    refused = client.post(url(invitation), {**FULL, "nps": "3"})  # "why" becomes required

    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert "This field is required." not in client.get(url(invitation)).content.decode()


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def survey_of(size: int):
    """An invitation to a questionnaire of ``size`` questions: an NPS, then CES ones."""
    questionnaire = QuestionnaireFactory()
    add(questionnaire, "nps", m.QuestionKind.NPS, required=True)
    for n in range(size - 1):
        add(questionnaire, f"ces{n}", m.QuestionKind.CES)
    campaign = CampaignFactory(questionnaire=questionnaire, alert_recipients="")
    answers = {"nps": "9", **{f"ces{n}": "6" for n in range(size - 1)}}
    return InvitationFactory(campaign=campaign), answers


def page_then_submit(client, invitation, answers) -> tuple[list[str], list[str]]:
    """The statements of the page's GET and of the submit's POST."""
    with CaptureQueriesContext(connection) as got:
        page = client.get(url(invitation))
    with CaptureQueriesContext(connection) as posted:
        answered = client.post(url(invitation), answers)
    assert (page.status_code, answered.status_code) == (200, 303)
    return statements(got), statements(posted)


def test_a_warm_branded_page_reads_only_the_invitation(client, invitation):
    from surveys.services.brand import brand_update

    brand_update(name="Acme", primary_colour="#ffff00")
    # The brand and the questions are cached now (Django's cache, not the process).
    client.get(url(invitation))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(invitation))

    assert "Acme" in page.content.decode()
    assert len(statements(queries)) == 1, statements(queries)


def _fields(questions) -> list[tuple]:
    return [tuple(getattr(q, f.attname) for f in q._meta.concrete_fields) for q in questions]


def test_the_cached_questions_are_the_questions_the_query_reads(invitation, settings):
    from surveys.selectors import invitation_for_token, questionnaire_questions, survey_questions

    questionnaire = invitation_for_token(invitation.token).questionnaire
    queried = questionnaire_questions(questionnaire)
    stored = survey_questions(questionnaire)  # a miss: read, then stored
    with CaptureQueriesContext(connection) as queries:
        served = survey_questions(questionnaire)  # from Django's cache

    assert queries.captured_queries == []
    assert _fields(stored) == _fields(served) == _fields(queried) and len(queried) > 1
    assert [type(q) for q in served] == [m.Question] * len(queried)

    settings.SURVEY_QUESTIONS_CACHE_SECONDS = 0  # off: every call asks the database
    with CaptureQueriesContext(connection) as queries:
        assert _fields(survey_questions(questionnaire)) == _fields(queried)
    assert len(queries.captured_queries) == 1


def test_an_edit_on_a_clock_that_does_not_move_shows_at_once(client, invitation):
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url(invitation))  # the questions cached
        question = invitation.questionnaire.questions.get(key="csat")
        question.text = "How quick were we?"
        question.save()  # the questionnaire's updated_at is the same instant

        assert "How quick were we?" in client.get(url(invitation)).content.decode()


def test_without_the_cache_the_page_reads_the_questions(client, invitation, settings):
    from django.core.cache import cache

    client.get(url(invitation))
    cache.clear()  # what a Redis restart (or an outage: the cache fails open) leaves
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(invitation))

    assert page.status_code == 200 and "Question csat?" in page.content.decode()
    # the invitation, the questions and (also gone from the cache) the brand
    assert sum('FROM "surveys_question"' in sql for sql in statements(queries)) == 1
    assert len(statements(queries)) == 3, statements(queries)


NONCE = re.compile(r'nonce="[^"]*"')


@pytest.mark.parametrize("query", [{}, {"score": 9}, {"lang": "zh-hans"}, {"lang": "zh-hans", "score": 3}])
def test_a_page_from_the_fragment_cache_is_the_page_crispy_renders(client, invitation, query):
    FRAGMENTS.clear()
    rendered = client.get(url(invitation, **query)).content.decode()  # crispy-forms' own output
    assert len(FRAGMENTS) > 0
    served = client.get(url(invitation, **query)).content.decode()  # every block from the cache

    assert NONCE.sub("", served) == NONCE.sub("", rendered)


def test_a_page_with_saved_answers_from_the_fragment_cache_is_the_page_crispy_renders(client, invitation):
    nps = invitation.questionnaire.questions.get(key="nps")
    response_record_score(invitation=invitation, question=nps, score=4, language="en", clicked_at=timezone.now())
    FRAGMENTS.clear()
    rendered = client.get(url(invitation)).content.decode()
    served = client.get(url(invitation)).content.decode()

    assert 'value="4" autocomplete="off" checked' in rendered
    assert NONCE.sub("", served) == NONCE.sub("", rendered)


def test_page_and_submit_take_at_most_eight_statements_whatever_the_number_of_questions(client):
    brand_current()  # the brand in Django's cache, as on every page after the first
    small, big = survey_of(3), survey_of(12)

    small_get, small_post = page_then_submit(client, *small)
    big_get, big_post = page_then_submit(client, *big)

    # the invitation with campaign, questionnaire and response; the questions (the first page
    # of this questionnaire version: Django's cache holds them after it)
    assert len(small_get) == len(big_get) == 2, big_get
    # the invitation (asking whether anyone subscribes to outbound events: nobody does, so the
    # subscriptions are not read, docs/api.md "Outbound events"); the claim (UPDATE); the
    # response (INSERT); its answers (one INSERT)
    assert len(small_post) == len(big_post) == 4, big_post
    assert len(big_get) + len(big_post) <= 8
    assert m.Answer.objects.filter(response__invitation=big[0]).count() == 12

    # A page of a questionnaire version already seen reads only the invitation.
    again = InvitationFactory(campaign=big[0].campaign)
    warm_get, _ = page_then_submit(client, again, big[1])
    assert len(warm_get) == 1, warm_get


@pytest.mark.parametrize("subscription", ["none", "paused", "active"])
def test_a_detractor_submit_reads_the_subscriptions_once_and_only_when_one_is_active(client, subscription):
    from surveys.services.outbound import webhook_subscription_create

    brand_current()
    invitation, answers = survey_of(12)
    invitation.campaign.create_followups = True
    invitation.campaign.save()
    if subscription != "none":
        crm = webhook_subscription_create(
            name="CRM", url="https://crm.example.com/hooks", events=["followup.opened"], created_by=None
        )
        crm.is_active = subscription == "active"
        crm.save(update_fields=["is_active"])
    _, posted = page_then_submit(client, invitation, {**answers, "nps": "2"})

    # None active: as a promoter's, plus the FollowUp (INSERT). An active one: the submit reads
    # the subscriptions once (the follow-up's event and the response's share the read) and
    # records the event.
    active = subscription == "active"
    if not active:
        assert len(posted) == 5, posted
    reads = [sql for sql in posted if sql.startswith('SELECT "surveys_webhooksubscription"')]
    assert len(reads) == (1 if active else 0), posted
    assert m.FollowUp.objects.filter(response__invitation=invitation).count() == 1
    assert m.WebhookDelivery.objects.count() == (1 if active else 0)


def test_a_submit_after_the_one_click_score_stays_within_the_budget(client):
    brand_current()  # the brand in Django's cache, as on every page after the first
    small, big = survey_of(3), survey_of(12)
    counts = []
    for invitation, answers in (small, big):
        client.post(url(invitation), {"action": "score", "nps": "9"})
        got, posted = page_then_submit(client, invitation, answers)
        counts.append((len(got), len(posted)))

    # The page also reads the partial response's answers (the questions are cached: the score
    # post read them). The submit claims with the general UPDATE (the invitation was read with
    # a response), re-reads the response under the lock, updates the response and replaces the
    # one-click answer (DELETE, then one INSERT).
    assert counts[0] == counts[1] == (2, 6), counts


def test_a_first_submit_stores_every_answer(client, invitation):
    answered = client.post(url(invitation), FULL)

    assert answered.status_code == 303
    response = m.Response.objects.get(invitation=invitation)
    # six answers given, and the complaint checkbox left unticked is a "no"
    assert response.is_complete and response.answers.count() == 7


def test_a_submit_after_the_one_click_score_replaces_it(client, invitation):
    client.post(url(invitation), {"action": "score", "nps": "2"})
    answered = client.post(url(invitation), FULL)

    assert answered.status_code == 303
    response = m.Response.objects.get(invitation=invitation)
    assert (response.is_complete, response.nps_score) == (True, 8)
    assert set(response.answers.values_list("question__key", flat=True)) == {*FULL, "complain"}
