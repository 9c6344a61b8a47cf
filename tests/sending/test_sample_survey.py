"""The admin's "Send me a test": its links open a test survey that validates and records nothing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys import models as m
from surveys.sample_links import TEST_LINK_MAX_AGE, sample_link_token
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def campaign(campaign):
    QuestionFactory(
        questionnaire=campaign.questionnaire, kind=m.QuestionKind.TEXT, order=2, required=False,
        text="Anything else?", text_zh_hans="还有什么要说的吗？",
    )
    return campaign


def send_test(client, designer, campaign) -> str:
    """The survey link of the test email the designer asked for (the ?score= stripped)."""
    designer.email = "designer@example.com"
    designer.save()
    client.post(reverse("admin:surveys_campaign_send_test", args=[campaign.pk]))
    (message,) = mail.outbox
    url = re.search(r"https?://[^/\s]+(/s/test/[^/\s]+/)\?score=0", message.body).group(1)
    return url


def row_counts():
    return {model.__name__: model.objects.count() for model in (
        m.Invitation, m.Response, m.Answer, m.Customer, m.Ticket, m.ScoreClick)}


def test_test_email_link_opens_the_questionnaire_marked_as_a_test(designer_client, designer, campaign, client):
    url = send_test(designer_client, designer, campaign)
    page = client.get(url + "?score=9")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Test — nothing you enter is recorded" in html
    assert campaign.questionnaire.title in html
    assert "Anything else?" in html
    assert re.search(r'value="9"[^>]*checked', html)  # the score clicked in the email is chosen
    assert "We cannot find this survey" not in html


def test_posting_the_test_survey_shows_the_thanks_page_and_writes_nothing(
    designer_client, designer, campaign, client
):
    url = send_test(designer_client, designer, campaign)
    nps_key = campaign.questionnaire.questions.get(kind=m.QuestionKind.NPS).key
    text_key = campaign.questionnaire.questions.get(kind=m.QuestionKind.TEXT).key
    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        page = client.post(url, {nps_key: "3", text_key: "Slow <b>reply</b>"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Thank you!" in html and "Test — nothing you enter is recorded" in html
    assert "Slow &lt;b&gt;reply&lt;/b&gt;" in html
    assert row_counts() == before
    assert not [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_invalid_test_answers_are_refused_with_the_error_and_nothing_written(
    designer_client, designer, campaign, client
):
    url = send_test(designer_client, designer, campaign)
    nps_key = campaign.questionnaire.questions.get(kind=m.QuestionKind.NPS).key
    before = row_counts()
    page = client.post(url, {nps_key: "11"})
    assert page.status_code == 400
    assert "Test — nothing you enter is recorded" in page.content.decode()
    assert row_counts() == before


def test_test_survey_opens_in_the_language_of_the_test_and_switches(client, campaign):
    signed = sample_link_token(
        campaign_id=campaign.pk, questionnaire_id=campaign.questionnaire_id, language=m.Language.ZH_HANS
    )
    url = reverse("surveys:sample_survey", args=[signed])
    assert "还有什么要说的吗？" in client.get(url).content.decode()
    assert "Anything else?" in client.get(url + "?lang=en").content.decode()


def test_tampered_or_foreign_signature_is_not_found(client, campaign):
    signed = sample_link_token(campaign_id=campaign.pk, questionnaire_id=campaign.questionnaire_id, language="en")
    # The same payload signed with another salt (any other signed value of the project).
    foreign = signing.dumps({"c": campaign.pk, "q": campaign.questionnaire_id, "l": "en"}, compress=True)
    for bad in (signed[:-2] + "xx", foreign, "nonsense", "a" * 500):
        page = client.get(reverse("surveys:sample_survey", args=[bad]))
        assert page.status_code == 404, bad
        assert "We cannot find this survey" in page.content.decode()
    assert client.post(reverse("surveys:sample_survey", args=["nonsense"])).status_code == 404


def test_test_link_expires_after_a_week(client, campaign):
    with time_machine.travel(timezone.now() - TEST_LINK_MAX_AGE - timedelta(minutes=1)):
        signed = sample_link_token(
            campaign_id=campaign.pk, questionnaire_id=campaign.questionnaire_id, language="en"
        )
    page = client.get(reverse("surveys:sample_survey", args=[signed]))
    assert page.status_code == 410
    assert "This test link has expired" in page.content.decode()


def test_test_link_of_a_deleted_campaign_is_not_found(client, campaign):
    signed = sample_link_token(campaign_id=campaign.pk, questionnaire_id=campaign.questionnaire_id, language="en")
    campaign.delete()
    assert client.get(reverse("surveys:sample_survey", args=[signed])).status_code == 404


def test_test_email_unsubscribe_link_says_what_it_would_do_and_does_nothing(
    designer_client, designer, campaign, client
):
    send_test(designer_client, designer, campaign)
    unsubscribe = re.search(r"https?://[^/\s]+(/u/test/[^/\s]+/)", mail.outbox[0].body).group(1)
    before = row_counts()
    page = client.get(unsubscribe)
    assert page.status_code == 200
    assert "nothing was recorded" in page.content.decode()
    assert row_counts() == before
    assert client.post(unsubscribe).status_code == 405


def test_a_real_invitation_token_is_not_read_as_a_test(client, campaign):
    assert client.get("/s/test/").status_code == 404
