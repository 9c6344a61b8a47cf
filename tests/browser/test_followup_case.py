"""The loop closed in one manager's session: a detractor alert arrives (an email in the outbox),
the manager opens the case it links to, emails the customer, closes the case with an outcome
and a re-survey, and reads an improvement plan's measured before/after on the dashboard."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from surveys import models as m
from surveys.answers import AnswerData
from surveys.roles import MANAGERS
from surveys.services.notifications import response_alert_send
from surveys.services.responses import response_submit
from tests.browser.test_improvement_plans import expect_the_plans_effect, plan_with_a_measured_effect
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_follows_the_alert_to_the_case_emails_the_customer_and_closes_it(page, live_server, roles):
    boss = UserFactory(username="boss", email="boss@example.com", groups=[MANAGERS])
    campaign = CampaignFactory(alert_recipients="boss@example.com", create_followups=True)
    question = QuestionFactory(questionnaire=campaign.questionnaire, key="nps", kind=m.QuestionKind.NPS)
    invitation = InvitationFactory(campaign=campaign)
    customer = invitation.customer
    response = response_submit(
        invitation=invitation, answers=[AnswerData(question=question, number=2)], language="en"
    )
    response_alert_send(response_id=response.pk)  # what the alert task does (it may have run already)

    [alert] = [e for e in mail.outbox if e.to == ["boss@example.com"]]
    link = re.search(r"https?://\S+/cases/\d+/", alert.body).group(0)
    case = m.FollowUp.objects.get(response=response)
    assert urlsplit(link).path == f"/cases/{case.pk}/"
    mail.outbox.clear()

    page.goto(live_server.url + urlsplit(link).path)  # not signed in: the product's login page
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")

    expect(page.locator("h1")).to_contain_text(invitation.ticket.external_id)
    expect(page.locator("#id_subject")).to_have_value(f"About your request {invitation.ticket.external_id}")
    page.fill("#id_body", "We are sorry. A refund is on its way.")
    page.get_by_role("button", name="Send email").click()
    expect(page.locator(".alert")).to_contain_text("Email sent to the customer.")
    expect(page.locator("[data-email]")).to_contain_text("A refund is on its way.")

    [email] = mail.outbox
    assert email.to == [customer.email] and email.reply_to == [boss.email]

    page.select_option("#id_outcome", "recovered")
    page.check("#id_resurvey")
    page.get_by_role("button", name="Close the case").click()
    expect(page.locator("[data-status]")).to_have_text("Closed")
    expect(page.locator("[data-outcome]")).to_contain_text("Recovered")
    expect(page.locator("[data-resurvey]")).to_contain_text("Scheduled")

    case.refresh_from_db()
    assert (case.status, case.outcome) == (m.FollowUpStatus.CLOSED, m.FollowUpOutcome.RECOVERED)
    assert case.first_contact_at is not None
    assert m.Invitation.objects.filter(resurvey_of=case, status=m.InvitationStatus.SCHEDULED).exists()

    # The same manager then reads whether the team's improvement plan worked.
    plan = plan_with_a_measured_effect(boss)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/reports/")
    expect_the_plans_effect(page, plan)
