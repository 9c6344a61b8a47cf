"""A designer's "Send me a test": the email's link opens the test survey, which records nothing."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from surveys import models as m
from surveys.roles import DESIGNERS
from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_designer_sends_a_test_opens_its_link_answers_and_nothing_is_recorded(page, live_server, roles, settings):
    settings.SITE_URL = live_server.url
    UserFactory(username="designer", email="designer@example.com", groups=[DESIGNERS])
    questionnaire = QuestionnaireFactory(title="After your ticket")
    QuestionFactory(questionnaire=questionnaire, key="nps", kind=m.QuestionKind.NPS, order=1, required=True)
    campaign = CampaignFactory(questionnaire=questionnaire)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/surveys/campaign/{campaign.pk}/change/")
    page.fill("#id_username", "designer")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.get_by_role("button", name="Send me a test").click()
    expect(page.get_by_text("A test email was sent to designer@example.com.")).to_be_visible()

    (message,) = mail.outbox
    link = re.search(r"(http://\S+/s/test/\S+/\?score=9)", message.body).group(1)
    page.goto(link)
    expect(page.get_by_text("Test — nothing you enter is recorded")).to_be_visible()
    expect(page.get_by_role("heading", name="After your ticket")).to_be_visible()
    expect(page.locator("input[name=nps][value='9']")).to_be_checked()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.get_by_text("Test — nothing you enter is recorded")).to_be_visible()
    assert not m.Response.objects.exists()
    assert not m.ScoreClick.objects.exists()
    assert not m.Invitation.objects.exists()
