"""What keeps the survey page fast must not change what it shows or stores.

The page caches questions and rendered question blocks in the process, sets no cookie and
takes posts without a CSRF token; these tests pin down that each shortcut stays correct.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from surveys import models as m
from surveys.fragments import FRAGMENTS
from tests.factories import InvitationFactory
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


def test_cached_blocks_keep_each_page_its_own_selection(client, campaign):
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


def test_each_language_gets_its_own_blocks(client, invitation):
    english = client.get(url(invitation, lang="en")).content.decode()
    chinese = client.get(url(invitation, lang="zh-hans")).content.decode()

    assert "Question csat?" in english and "问题 csat？" not in english
    assert "问题 csat？" in chinese and "Question csat?" not in chinese


def test_errors_are_never_served_from_the_cache(client, invitation):
    client.get(url(invitation))
    refused = client.post(url(invitation), {**FULL, "nps": "3"})  # "why" becomes required

    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert "This field is required." not in client.get(url(invitation)).content.decode()


def test_a_warm_page_reads_the_database_once(client, invitation):
    client.get(url(invitation))
    FRAGMENTS.clear()  # the question cache alone must already save the query
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(invitation))

    assert page.status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_a_warm_branded_page_still_reads_the_database_once(client, invitation):
    from surveys.services.brand import brand_update

    brand_update(name="Acme", primary_colour="#ffff00")
    client.get(url(invitation))  # the brand is cached now (Django's cache, not the process)
    FRAGMENTS.clear()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(invitation))

    assert "Acme" in page.content.decode()
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_a_first_submit_takes_five_statements(client, invitation):
    client.get(url(invitation))
    with CaptureQueriesContext(connection) as queries:
        answered = client.post(url(invitation), FULL)

    assert answered.status_code == 303
    statements = [
        q["sql"] for q in queries if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]
    # the invitation; the claim (UPDATE); the response; its answers; the active outbound
    # subscriptions (one SELECT, docs/api.md "Outbound events")
    assert len(statements) == 5, statements
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
