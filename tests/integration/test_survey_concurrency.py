"""Twenty simultaneous submits of one invitation on PostgreSQL: one Response, twenty kind pages.

Each thread is its own browser with its own database connection, released together by a
barrier, so the posts really overlap inside the database.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from surveys import models as m
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
POSTS = 20


@pytest.fixture(autouse=True)
def _only_survey_urls(settings):
    settings.ROOT_URLCONF = "tests.survey.urls"
    settings.SURVEY_RATE_LIMITS = {
        "survey-token": (1000, 60),
        "survey-ip": (1000, 60),
        "survey-score-token": (1000, 60),
        "survey-score-ip": (1000, 60),
    }


def _invitation():
    campaign = CampaignFactory(alert_recipients="")
    q = campaign.questionnaire
    QuestionFactory(questionnaire=q, key="nps", kind=m.QuestionKind.NPS, required=True)
    QuestionFactory(questionnaire=q, key="comment", kind=m.QuestionKind.TEXT)
    return InvitationFactory(campaign=campaign)


def _hammer(path: str, payload_for) -> list:
    barrier = threading.Barrier(POSTS)
    pages: list = [None] * POSTS

    def post(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            pages[n] = Client().post(path, payload_for(n), follow=True)
        except Exception as exc:  # reported by the assertions below
            pages[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return pages


def _assert_all_friendly(pages):
    errors = [p for p in pages if isinstance(p, Exception) or p is None]
    assert errors == []
    assert [p.status_code for p in pages] == [200] * POSTS
    assert all("Thank you!" in p.content.decode() for p in pages)


def test_twenty_concurrent_full_submits_give_one_response_and_twenty_thank_you_pages():
    invitation = _invitation()

    pages = _hammer(f"/s/{invitation.token}/", lambda n: {"nps": str(n % 11), "comment": f"post {n}"})

    _assert_all_friendly(pages)
    response = m.Response.objects.get(invitation=invitation)
    assert response.is_complete
    # Exactly one post's answers were kept, all of them consistent with each other.
    comment = response.answers.get(question__key="comment").text
    n = int(comment.split()[1])
    assert response.nps_score == n % 11
    assert m.Answer.objects.filter(response=response).count() == 2
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.ANSWERED


def test_concurrent_one_click_scores_and_submits_never_duplicate_or_fail():
    invitation = _invitation()

    def payload(n):
        return {"action": "score", "nps": "5"} if n % 2 else {"nps": "9"}

    pages = _hammer(f"/s/{invitation.token}/", payload)

    assert [p.status_code for p in pages if not isinstance(p, Exception)] == [200] * POSTS
    assert m.Response.objects.filter(invitation=invitation).count() == 1
    response = m.Response.objects.get(invitation=invitation)
    assert response.is_complete and response.nps_score == 9
