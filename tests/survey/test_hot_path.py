"""The survey page's hot path: few statements whatever the number of questions, no cookie, no
CSRF token, and the one shortcut kept (rendered question blocks, surveys/fragments.py) twinned
with crispy-forms' own rendering.

The page reads the invitation (one query with its campaign, questionnaire and response) and
the questions (one query) on every request and stores a submit as one claim UPDATE, one
response INSERT and one multi-row answers INSERT (bench/bench_survey.py measures the time).
"""

import re

import pytest
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


def test_a_warm_branded_page_reads_only_the_invitation_and_its_questions(client, invitation):
    from surveys.services.brand import brand_update

    brand_update(name="Acme", primary_colour="#ffff00")
    client.get(url(invitation))  # the brand is cached now (Django's cache, not the process)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(invitation))

    assert "Acme" in page.content.decode()
    assert len(statements(queries)) == 2, statements(queries)


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

    # the invitation with campaign, questionnaire and response; the questions
    assert len(small_get) == len(big_get) == 2, big_get
    # the same two reads; the claim (UPDATE); the response (INSERT); its answers (one INSERT);
    # the active outbound subscriptions (one SELECT, docs/api.md "Outbound events")
    assert len(small_post) == len(big_post) == 6, big_post
    assert len(big_get) + len(big_post) <= 8
    assert m.Answer.objects.filter(response__invitation=big[0]).count() == 12


def test_a_submit_after_the_one_click_score_stays_within_the_budget(client):
    brand_current()  # the brand in Django's cache, as on every page after the first
    small, big = survey_of(3), survey_of(12)
    counts = []
    for invitation, answers in (small, big):
        client.post(url(invitation), {"action": "score", "nps": "9"})
        got, posted = page_then_submit(client, invitation, answers)
        counts.append((len(got), len(posted)))

    # The page also reads the partial response's answers. The submit claims with the general
    # UPDATE (the invitation was read with a response), re-reads the response under the lock,
    # updates it and replaces the one-click answer (DELETE, then one INSERT), and reads the
    # active outbound subscriptions.
    assert counts[0] == counts[1] == (3, 8), counts


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
