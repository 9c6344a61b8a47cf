"""A manager's working day in a real browser: signs in on the product's page, picks a period
preset, opens a comment's response page (questions beside answers) and its ticket, both clean
under axe-core, comes back and downloads the responses workbook, whose dates are real date
cells."""

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from surveys import models as m
from surveys.roles import MANAGERS
from tests.browser.test_customer_pages import axe_violations
from tests.factories import AgentFactory, QuestionFactory, TeamFactory, UserFactory
from tests.reports.helpers import response, ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_picks_a_preset_opens_a_comment_and_downloads_a_workbook(page, live_server, roles):
    UserFactory(username="boss", groups=[MANAGERS])
    ann = AgentFactory(name="Ann", team=TeamFactory(name="North"))
    recent = timezone.now() - timedelta(hours=2)
    older = timezone.now() - timedelta(days=20)  # in the default 30 days, not in the last 7
    fresh = response(ticket(recent, agent=ann, external_id="DAY-1"), recent, nps=4, csat=2)
    questionnaire = fresh.invitation.questionnaire
    nps = QuestionFactory(questionnaire=questionnaire, key="nps", order=1)
    why = QuestionFactory(
        questionnaire=questionnaire,
        key="why",
        kind=m.QuestionKind.SINGLE_CHOICE,
        order=2,
        text="What mattered most?",
        choices=[{"value": "speed", "en": "How fast we were", "zh-hans": "速度"}],
    )
    comment = QuestionFactory(
        questionnaire=questionnaire, key="comment", kind=m.QuestionKind.TEXT, order=3, text="Tell us more"
    )
    m.Answer.objects.create(response=fresh, question=nps, kind=nps.kind, number=4)
    m.Answer.objects.create(response=fresh, question=why, kind=why.kind, choices=["speed"])
    m.Answer.objects.create(
        response=fresh, question=comment, kind=comment.kind, text="Waited a week for a reply"
    )
    stale = response(ticket(older, agent=ann, external_id="DAY-OLD"), older, nps=9, csat=5)
    m.Answer.objects.create(response=stale, question=comment, kind=comment.kind, text="An old comment")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/?next=/reports/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw")
    page.locator("form button[type=submit]").click()
    verbatims = page.locator(".report-verbatims")
    expect(verbatims).to_contain_text("An old comment")

    page.click('[data-preset="7d"]')
    expect(page.locator('[data-preset="7d"]')).to_have_attribute("aria-current", "true")
    expect(verbatims).not_to_contain_text("An old comment")
    dashboard_url = page.url

    verbatims.get_by_role("link", name="Waited a week for a reply").click()
    expect(page.locator("h1")).to_contain_text("DAY-1")
    answers = page.locator(".report-answers")
    expect(answers.locator('[data-question="nps"]')).to_contain_text("recommend us")
    expect(answers.locator('[data-question="nps"]')).to_contain_text("4 – Unlikely")
    expect(answers.locator('[data-question="why"]')).to_contain_text("What mattered most?")
    expect(answers.locator('[data-question="why"]')).to_contain_text("How fast we were")
    expect(answers.locator('[data-question="comment"]')).to_contain_text("Waited a week for a reply")
    expect(page.locator(".report-service-levels [data-agent]")).to_have_text("Ann")
    assert axe_violations(page) == []

    page.click("[data-ticket-link]")
    expect(page.locator("h1")).to_contain_text("Ticket DAY-1")
    expect(page.locator("[data-response-link]")).to_have_count(1)
    assert axe_violations(page) == []

    page.go_back()
    page.go_back()
    assert page.url == dashboard_url
    with page.expect_download() as info:
        page.get_by_role("link", name="Responses (XLSX)").click()
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1  # the preset's period: only the recent response
    for column in ("started_at", "submitted_at"):
        assert isinstance(rows[0][header.index(column)], datetime), column
