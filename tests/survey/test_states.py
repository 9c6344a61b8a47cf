"""Links that take no answers: each a friendly page in the customer's language, never a 500."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import models as m
from tests.factories import AnswerFactory, InvitationFactory, ResponseFactory
from tests.survey.conftest import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "token",
    ["not-a-real-token-but-long-enough", "short", "x" * 200, "abc.def", "<script>"],
)
def test_unknown_or_malformed_token_is_a_friendly_404(client, invitation, token):
    page = client.get(f"/s/{token}/")

    assert page.status_code == 404
    assert "We cannot find this survey" in page.content.decode()
    assert client.post(f"/s/{token}/", {"nps": "9"}).status_code == 404
    assert not m.Response.objects.exists()


def test_tampered_token_is_a_404(client, invitation):
    tampered = invitation.token[:-1] + ("A" if invitation.token[-1] != "A" else "B")

    assert client.get(f"/s/{tampered}/").status_code == 404


def test_unknown_token_page_follows_the_browser_language(client, db):
    page = client.get("/s/not-a-real-token-but-long-enough/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert page.status_code == 404
    assert "我们找不到这份调查" in page.content.decode()


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "This survey link has expired"),
        ({"status": m.InvitationStatus.EXPIRED}, 410, "This survey link has expired"),
        ({"status": m.InvitationStatus.CANCELLED}, 410, "This survey is no longer needed"),
        ({"status": m.InvitationStatus.FAILED}, 404, "We cannot find this survey"),
    ],
)
def test_closed_invitation_shows_its_state_for_get_and_post(client, invitation, change, status, text):
    m.Invitation.objects.filter(pk=invitation.pk).update(**change)

    page = client.get(url(invitation, score=9))
    assert page.status_code == status
    assert text in page.content.decode()
    posted = client.post(url(invitation), {"nps": "9"})
    assert posted.status_code == status
    assert not m.Response.objects.exists()


def test_paused_campaign_says_so_and_takes_nothing(client, invitation):
    invitation.campaign.is_active = False
    invitation.campaign.save()

    page = client.get(url(invitation))
    assert page.status_code == 403
    assert "This survey is paused" in page.content.decode()
    scored = client.post(url(invitation), {"action": "score", "nps": "9"}, HTTP_ACCEPT="application/json")
    assert scored.status_code == 403
    assert scored.json()["state"] == "paused"
    assert not m.Response.objects.exists()


def test_expired_page_in_chinese(client, invitation):
    m.Invitation.objects.filter(pk=invitation.pk).update(
        language=m.Language.ZH_HANS, status=m.InvitationStatus.EXPIRED
    )

    page = client.get(url(invitation))
    assert page.status_code == 410
    assert "此调查链接已过期" in page.content.decode()


def test_answered_link_shows_thanks_and_the_answers_given(client, campaign, questionnaire):
    response = ResponseFactory(
        invitation=InvitationFactory(campaign=campaign, status=m.InvitationStatus.ANSWERED)
    )
    nps = questionnaire.questions.get(key="nps")
    comment = questionnaire.questions.get(key="comment")
    AnswerFactory(response=response, question=nps, number=7)
    AnswerFactory(response=response, question=comment, number=None, text="Fine <b>really</b>\nthanks")

    page = client.get(url(response.invitation, score=1))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Thank you!" in html and "We read every answer." in html
    assert "<dd>7</dd>" in html
    assert "Fine &lt;b&gt;really&lt;/b&gt;<br>thanks" in html
    assert response.answers.count() == 2  # ?score= on an answered link changes nothing


def test_posting_again_after_the_full_submit_changes_nothing(client, invitation):
    client.post(url(invitation), {"nps": "9"})
    again = client.post(url(invitation), {"nps": "1", "why": "rude"}, follow=True)

    assert again.redirect_chain == [(url(invitation, lang="en"), 303)]
    assert "Thank you!" in again.content.decode()
    response = m.Response.objects.get()
    assert response.nps_score == 9
    assert [a.number for a in response.answers.all()] == [9, 0]


def test_the_project_urlconf_routes_s_token_to_the_survey_page(settings):
    from django.urls import resolve, reverse

    from surveys.views import public

    settings.ROOT_URLCONF = "surveys_project.urls"
    assert reverse("surveys:survey", args=["abc"]) == "/s/abc/"
    assert resolve("/s/abc/").func is public.survey
