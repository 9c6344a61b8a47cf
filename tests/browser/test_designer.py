"""A designer builds a questionnaire with a conditional question in the admin and previews it."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from surveys import models as m
from surveys.roles import DESIGNERS
from tests.factories import UserFactory

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}


def fill_question(page, index, *, key, kind, text, required=False, condition_key="", condition_values=""):
    prefix = f"#id_questions-{index}-"
    page.fill(f"{prefix}key", key)
    page.select_option(f"{prefix}kind", kind)
    page.fill(f"{prefix}text", text)
    if required:
        page.check(f"{prefix}required")
    if condition_key:
        page.fill(f"{prefix}condition_key", condition_key)
        page.fill(f"{prefix}condition_values", condition_values)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_designer_adds_a_conditional_question_and_sees_it_appear_in_the_preview(page, live_server, roles):
    UserFactory(username="designer", groups=[DESIGNERS])
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/surveys/questionnaire/add/")
    page.fill("#id_username", "designer")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    expect(page.locator("#id_title")).to_be_visible()

    page.fill("#id_title", "After your support ticket")
    page.fill("#id_intro", "Three short questions about your ticket.")
    fill_question(page, 0, key="nps", kind="nps", text="How likely are you to recommend us?", required=True)
    # Settings that do not apply to an NPS question are tucked away.
    expect(page.locator("#id_questions-0-choices")).to_be_hidden()
    page.click(".add-row a")
    # The new row's order is filled in by the admin script, after the first question.
    expect(page.locator("#id_questions-1-order")).to_have_value("1")
    fill_question(
        page,
        1,
        key="wrong",
        kind="text",
        text="What went wrong?",
        condition_key="nps",
        condition_values="0-6",
    )
    page.click(".add-row a")
    fill_question(page, 2, key="comment", kind="text", text="Anything else you want to tell us?")
    page.click("input[name=_continue]")

    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#id_questions-1-condition_values")).to_have_value("0-6")
    questionnaire = m.Questionnaire.objects.get(title="After your support ticket")
    questions = list(questionnaire.questions.order_by("order"))
    assert [q.key for q in questions] == ["nps", "wrong", "comment"]
    assert questions[1].condition_key == "nps"
    assert questions[1].condition_values == ["0", "1", "2", "3", "4", "5", "6"]
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "admin-questionnaire.png"), full_page=True)

    page.click("text=Preview (English)")

    expect(page.get_by_text("Preview — nothing you enter is recorded")).to_be_visible()
    buttons = page.locator("[data-question=nps] label.scale-option")
    expect(buttons).to_have_count(11)
    wrong = page.locator("[data-question=wrong]")
    expect(wrong).to_be_hidden()
    expect(page.locator("[data-question=comment]")).to_be_visible()

    page.click("label[for=id_nps_9]")
    expect(wrong).to_be_hidden()
    page.click("label[for=id_nps_3]")
    expect(wrong).to_be_visible()
    page.fill("#id_wrong", "It took a week")
    expect(page.locator("[data-counter-for=id_wrong] [data-count]")).to_have_text("14")

    if os.environ.get("SCREENSHOTS") == "1":
        page.mouse.move(0, 0)
        page.wait_for_timeout(300)  # let the buttons' colour transition finish
        page.screenshot(path=str(SCREENSHOTS / "survey-preview-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / "survey-preview.png"), full_page=True)

    # Submitting the preview validates on the server and stores nothing.
    page.click("button[type=submit]")
    expect(page.get_by_text("These answers would be accepted. Nothing was recorded.")).to_be_visible()
    assert not m.Response.objects.exists()
    assert not m.Answer.objects.exists()
