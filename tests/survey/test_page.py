"""The public survey page: GET never records, one-click score, full submit, languages."""

from unittest.mock import patch

import pytest
from django.core import mail

from surveys import models as m
from tests.survey.conftest import url

pytestmark = pytest.mark.django_db

FULL = {
    "nps": "3",
    "why": "slow",
    "csat": "4",
    "ces": "6",
    "stars": "5",
    "topics": ["billing", "login"],
    "solved": "yes",
    "comment": "<script>alert(1)</script> & more",
}


def test_get_with_score_preselects_it_and_records_nothing(client, invitation):
    page = client.get(url(invitation, score=9))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="9" autocomplete="off" checked' in html
    assert 'data-autosave="9"' in html
    assert "Save my rating" in html  # the no-JavaScript button
    assert "Not at all likely" in html and "Extremely likely" in html
    assert m.Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SENT


@pytest.mark.parametrize("score", ["11", "-1", "x", "", "²", "５", "9" * 40])
def test_get_with_a_score_out_of_range_preselects_nothing(client, invitation, score):
    page = client.get(url(invitation, score=score))

    assert page.status_code == 200
    assert "data-autosave" not in page.content.decode()
    assert "checked" not in page.content.decode()


def test_one_click_score_by_script_saves_a_partial_response(client, invitation):
    page = client.post(url(invitation), {"action": "score", "nps": "4"}, HTTP_ACCEPT="application/json")

    assert page.status_code == 200
    assert page.json() == {"saved": True, "message": "Thanks — your rating is saved."}
    response = m.Response.objects.get(invitation=invitation)
    assert (response.is_complete, response.nps_score, response.submitted_at) == (False, 4, None)
    assert [(a.question.key, a.number) for a in response.answers.all()] == [("nps", 4)]
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.ANSWERED
    assert not m.FollowUp.objects.exists()
    assert mail.outbox == []


def test_save_my_rating_button_without_script_redirects_to_the_page_showing_it_saved(client, invitation):
    page = client.post(url(invitation), {"action": "score", "nps": "8"}, follow=True)

    assert page.redirect_chain == [(url(invitation, lang="en"), 303)]
    html = page.content.decode()
    assert "Thanks — your rating is saved." in html
    assert 'value="8" autocomplete="off" checked' in html
    assert m.Response.objects.get(invitation=invitation).nps_score == 8


def test_score_can_be_changed_until_the_full_submit(client, invitation):
    client.post(url(invitation), {"action": "score", "nps": "2"}, HTTP_ACCEPT="application/json")
    client.post(url(invitation), {"action": "score", "nps": "10"}, HTTP_ACCEPT="application/json")

    response = m.Response.objects.get(invitation=invitation)
    assert response.nps_score == 10
    assert response.answers.count() == 1

    client.post(url(invitation), {"nps": "9"})
    response.refresh_from_db()
    assert (response.is_complete, response.nps_score) == (True, 9)
    late = client.post(url(invitation), {"action": "score", "nps": "0"}, HTTP_ACCEPT="application/json")
    assert late.status_code == 409
    response.refresh_from_db()
    assert response.nps_score == 9


@pytest.mark.parametrize("score", ["11", "", "nine", "²"])
def test_one_click_score_out_of_range_is_refused_with_a_message(client, invitation, score):
    page = client.post(url(invitation), {"action": "score", "nps": score}, HTTP_ACCEPT="application/json")
    assert page.status_code == 400
    assert page.json()["message"] == "Please choose one of the scores."

    plain = client.post(url(invitation), {"action": "score", "nps": score})
    assert plain.status_code == 400
    assert "Please choose one of the scores." in plain.content.decode()
    assert not m.Response.objects.exists()


def test_full_submit_stores_every_kind_and_shows_thanks_with_the_answers(client, invitation):
    page = client.post(url(invitation), FULL, follow=True)

    assert page.redirect_chain[-1][1] == 303
    html = page.content.decode()
    assert "Thank you!" in html
    assert "We read every answer." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<script>alert(1)" not in html
    assert "4 – Satisfied" in html and "Too slow" in html and "Billing, Signing in" in html
    response = m.Response.objects.get(invitation=invitation)
    assert (response.is_complete, response.nps_score, response.csat_score, response.ces_score) == (
        True,
        3,
        4,
        6,
    )
    assert response.is_complaint is False
    stored = {a.question.key: (a.number, a.choices, a.text) for a in response.answers.all()}
    assert stored == {
        "nps": (3, [], ""),
        "why": (None, ["slow"], ""),
        "csat": (4, [], ""),
        "ces": (6, [], ""),
        "stars": (5, [], ""),
        "topics": (None, ["billing", "login"], ""),
        "solved": (1, [], ""),
        "complain": (0, [], ""),  # an unticked, visible complaint box is a "no"
        "comment": (None, [], "<script>alert(1)</script> & more"),
    }
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.ANSWERED


def test_hidden_conditional_answer_is_ignored_whatever_was_posted(client, invitation):
    client.post(url(invitation), {"nps": "9", "why": "rude"})

    response = m.Response.objects.get(invitation=invitation)
    assert sorted(a.question.key for a in response.answers.all()) == ["complain", "nps"]


def test_shown_conditional_question_is_required(client, invitation):
    page = client.post(url(invitation), {"nps": "5"})

    assert page.status_code == 400
    assert "This field is required." in page.content.decode()
    assert not m.Response.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "nps"),
        ({"nps": "12"}, "nps"),
        ({"nps": "9", "csat": "0"}, "csat"),
        ({"nps": "9", "topics": ["nope"]}, "topics"),
        ({"nps": "9", "comment": "x" * 5001}, "comment"),
        ({"nps": "9", "comment": "null\x00byte"}, "comment"),
    ],
)
def test_bad_input_is_a_400_with_the_message_next_to_the_field_and_nothing_written(
    client, invitation, data, field
):
    page = client.post(url(invitation), data)

    assert page.status_code == 400
    assert f"id_{field}_error" in page.content.decode() or "invalid-feedback" in page.content.decode()
    assert not m.Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SENT


def test_complaint_checkbox_opens_a_followup_and_enqueues_the_alert_after_commit(
    client, invitation, django_capture_on_commit_callbacks
):
    with patch("surveys.tasks.notifications.response_alert.delay", autospec=True) as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(url(invitation), {"nps": "2", "why": "rude", "complain": "on"})
        delay.assert_not_called()  # nothing leaves before the commit
        for callback in callbacks:
            callback()

    response = m.Response.objects.get(invitation=invitation)
    assert response.is_complaint is True
    followup = m.FollowUp.objects.get(response=response)
    assert (followup.reason, followup.ticket_id) == (m.FollowUpReason.COMPLAINT, invitation.ticket_id)
    delay.assert_called_once_with(response.pk)


def test_detractor_opens_a_detractor_followup(client, invitation):
    with patch("surveys.tasks.notifications.response_alert.delay", autospec=True):
        client.post(url(invitation), {"nps": "6", "why": "slow"})

    assert m.FollowUp.objects.get().reason == m.FollowUpReason.DETRACTOR


def test_low_csat_counts_as_complaint_when_the_campaign_says_so(client, invitation):
    invitation.campaign.alert_recipients = ""
    invitation.campaign.save()
    client.post(url(invitation), {"nps": "9", "csat": "2"})

    assert m.Response.objects.get().is_complaint is True
    assert m.FollowUp.objects.get().reason == m.FollowUpReason.COMPLAINT


def test_low_csat_is_no_complaint_when_the_campaign_rule_is_off(client, invitation):
    invitation.campaign.low_csat_is_complaint = False
    invitation.campaign.create_followups = False
    invitation.campaign.save()

    client.post(url(invitation), {"nps": "9", "csat": "1"})

    assert m.Response.objects.get().is_complaint is False
    assert not m.FollowUp.objects.exists()


def test_promoter_gets_no_followup_and_no_alert(client, invitation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(url(invitation), {"nps": "10"})

    assert callbacks == []
    assert not m.FollowUp.objects.exists()


def test_page_follows_the_invitation_language_with_a_switcher(client, invitation):
    invitation.language = m.Language.ZH_HANS
    invitation.save()

    html = client.get(url(invitation)).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "服务满意度调查" in html and "问题 nps？" in html
    assert 'href="?lang=en"' in html

    english = client.get(url(invitation, lang="en")).content.decode()
    assert "Question nps?" in english
    assert f'action="/s/{invitation.token}/?lang=en"' in english


def test_submit_in_chinese_stores_the_language_and_answers_in_chinese(client, invitation):
    page = client.post(url(invitation, lang="zh-hans"), {"nps": "5"})

    assert page.status_code == 400
    assert "该字段是必填项。" in page.content.decode()
    client.post(url(invitation, lang="zh-hans"), {"nps": "5", "why": "slow"})
    assert m.Response.objects.get().language == m.Language.ZH_HANS
    thanks = client.get(url(invitation, lang="zh-hans")).content.decode()
    assert "每条回答我们都会阅读。" in thanks and "太慢" in thanks


def test_head_and_other_methods(client, invitation):
    assert client.head(url(invitation)).status_code == 200
    assert client.put(url(invitation)).status_code == 405
    assert not m.Response.objects.exists()


def test_staff_login_changes_nothing(designer_client, invitation):
    # The token is the key; a logged-in staff member sees the customer's page, not more.
    page = designer_client.get(url(invitation))
    assert page.status_code == 200
    assert "Preview" not in page.content.decode()
