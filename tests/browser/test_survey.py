"""The customer's page on a phone (375×667): from the real invitation email to the thank-you page.

(a) English one-click flow, (b) the same in Chinese, (c) keyboard only, (d) axe-core WCAG 2.1 AA.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from surveys import models as m
from surveys.emails import invitation_email_message
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 375, "height": 667}
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
REASONS = [
    {"value": "slow", "en": "It took too long", "zh-hans": "处理太慢"},
    {"value": "unsolved", "en": "My problem is not solved", "zh-hans": "问题没有解决"},
]
# ASCII words a Chinese page may show: the metric's name, the other language's own name.
ALLOWED_ASCII = {"NPS", "English"}


@pytest.fixture(autouse=True)
def _survey_site(settings, live_server):
    settings.ROOT_URLCONF = "tests.survey.urls"
    settings.SITE_URL = live_server.url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"}
    }


@pytest.fixture
def phone(browser):
    # A person's phone: headless Chromium's own user agent is a known scanner signature.
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, user_agent=PHONE_USER_AGENT
    )
    yield context.new_page()
    context.close()


def make_invitation(language: str) -> m.Invitation:
    questionnaire = QuestionnaireFactory(
        title="How did we do?",
        title_zh_hans="我们做得怎么样？",
        intro="Two minutes, four questions.",
        intro_zh_hans="两分钟，四个问题。",
        thank_you="Your answers go straight to the support team.",
        thank_you_zh_hans="您的回答会直接送到支持团队。",
    )

    def add(key, kind, text, text_zh, **fields):
        QuestionFactory(
            questionnaire=questionnaire, key=key, kind=kind, text=text, text_zh_hans=text_zh, **fields
        )

    add(
        "nps",
        m.QuestionKind.NPS,
        "How likely are you to recommend us?",
        "您向朋友推荐我们的可能性有多大？",
        required=True,
    )
    add(
        "why",
        m.QuestionKind.SINGLE_CHOICE,
        "What went wrong?",
        "哪里做得不好？",
        choices=REASONS,
        condition_key="nps",
        condition_values=[str(n) for n in range(7)],
        required=True,
    )
    add("csat", m.QuestionKind.CSAT, "How satisfied are you with the answer?", "您对答复满意吗？")
    add("comment", m.QuestionKind.TEXT, "Anything else?", "还有其他想说的吗？")
    campaign = CampaignFactory(questionnaire=questionnaire, alert_recipients="")
    # Sent ten minutes ago: a score link opened seconds after sending looks like a scanner.
    invitation = InvitationFactory(
        campaign=campaign, language=language, sent_at=timezone.now() - timedelta(minutes=10)
    )
    invitation.customer.locale = language
    invitation.customer.save()
    return invitation


def score_link_from_email(invitation: m.Invitation, score: int) -> str:
    invitation_email_message(invitation=invitation).send()
    html = mail.outbox[-1].alternatives[0][0]
    links = re.findall(r'href="([^"]+\?score=\d+)"', html)
    wanted = [link for link in links if link.endswith(f"?score={score}")]
    assert wanted, links
    return wanted[0].replace("&amp;", "&")


def axe_violations(page) -> list[dict]:
    # Evaluated by the test driver, not added as an inline <script>: the page's
    # Content-Security-Policy rightly refuses inline scripts.
    page.evaluate(f"() => {{ {AXE.read_text()}\n }}")
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def stray_english(page) -> set[str]:
    words = set(re.findall(r"[A-Za-z]{2,}", page.locator("body").inner_text()))
    return words - ALLOWED_ASCII


def answer_the_rest_and_submit(page, *, reason: str, comment: str, send: str) -> None:
    page.get_by_label(reason).check()
    page.locator("input[name=csat][value=\"4\"] + label").click()
    page.locator("#id_comment").fill(comment)
    page.get_by_role("button", name=send).click()


def test_a_one_click_score_from_the_email_then_the_rest(phone, live_server):
    invitation = make_invitation(m.Language.EN)
    page = phone

    page.goto(score_link_from_email(invitation, 3))

    expect(page.locator("[data-score-status]")).to_contain_text("Thanks — your rating is saved.")
    expect(page.locator("#id_nps_3")).to_be_checked()
    # Stored as a provisional click: it becomes a partial response once its window passes.
    click = m.ScoreClick.objects.get(invitation=invitation)
    assert (click.score, click.source, click.verdict) == (3, "link", "provisional")
    assert click.user_agent == PHONE_USER_AGENT and click.seconds_since_sent >= 600
    assert not m.Response.objects.filter(invitation=invitation).exists()
    # The no-JavaScript button stays inside <noscript>.
    expect(page.get_by_role("button", name="Save my rating")).to_have_count(0)

    why = page.locator('[data-question="why"]')
    expect(why).to_be_visible()
    page.locator("#id_nps_8 + label").click()  # a change of mind hides the follow-up question…
    expect(why).to_be_hidden()
    page.locator("#id_nps_3 + label").click()  # …and back
    expect(why).to_be_visible()
    screenshot(page, "survey-en.png")

    answer_the_rest_and_submit(
        page, reason="It took too long", comment="Typed <b>as is</b>", send="Send my answers"
    )

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.locator(".survey-answers")).to_contain_text("Typed <b>as is</b>")
    response = m.Response.objects.get(invitation=invitation)
    assert (response.is_complete, response.nps_score, response.csat_score) == (True, 3, 4)
    answers = {a.question.key: (a.number, a.choices, a.text) for a in response.answers.all()}
    assert answers == {
        "nps": (3, [], ""),
        "why": (None, ["slow"], ""),
        "csat": (4, [], ""),
        "comment": (None, [], "Typed <b>as is</b>"),
    }
    assert m.FollowUp.objects.get(response=response).reason == m.FollowUpReason.DETRACTOR


def test_b_the_same_in_chinese_without_stray_english(phone, live_server):
    invitation = make_invitation(m.Language.ZH_HANS)
    page = phone

    page.goto(score_link_from_email(invitation, 2))

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("[data-score-status]")).to_contain_text("谢谢，您的评分已保存。")
    expect(page.locator('[data-question="why"]')).to_be_visible()
    assert stray_english(page) == set()
    screenshot(page, "survey-zh.png")

    answer_the_rest_and_submit(page, reason="问题没有解决", comment="客服很耐心", send="提交我的回答")

    expect(page.get_by_role("heading", name="谢谢！")).to_be_visible()
    assert stray_english(page) == set()
    response = m.Response.objects.get(invitation=invitation)
    assert (response.is_complete, response.language, response.nps_score) == (True, "zh-hans", 2)
    assert response.answers.get(question__key="comment").text == "客服很耐心"


def test_c_keyboard_only(phone, live_server):
    invitation = make_invitation(m.Language.EN)
    page = phone
    page.goto(f"{live_server.url}/s/{invitation.token}/")

    def tab_until(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_until("input[name=nps]")
    # Arrow keys move within a radio group: 0 → 1 → 2.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#id_nps_2")).to_be_checked()
    # Focus is visible: the focused button's label draws a ring.
    ring = page.evaluate(
        "() => getComputedStyle(document.querySelector('label[for=' + document.activeElement.id + ']')).boxShadow"
    )
    assert ring not in ("", "none")
    expect(page.locator("[data-score-status]")).to_contain_text("Thanks — your rating is saved.")

    tab_until("input[name=why]")
    page.keyboard.press("Space")
    tab_until("button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    response = m.Response.objects.get(invitation=invitation)
    assert response.is_complete and response.nps_score == 2
    assert response.answers.get(question__key="why").choices == ["slow"]


def test_d_axe_finds_no_serious_violations_on_the_survey_and_thank_you_pages(phone, live_server):
    for language, send in ((m.Language.EN, "Send my answers"), (m.Language.ZH_HANS, "提交我的回答")):
        invitation = make_invitation(language)
        page = phone
        page.goto(f"{live_server.url}/s/{invitation.token}/?score=4")
        expect(page.locator('[data-question="why"]')).to_be_visible()
        expect(page.locator("[data-score-status]")).not_to_be_empty()
        assert axe_violations(page) == [], language

        page.get_by_role("button", name=send).click()  # "why" unanswered: the error state
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        assert axe_violations(page) == [], language

        page.locator('[data-question="why"] input').first.check()
        page.get_by_role("button", name=send).click()
        expect(page.locator(".survey-thanks")).to_be_visible()
        assert axe_violations(page) == [], language

    page.goto(f"{live_server.url}/s/no-such-token-anywhere-at-all/")
    assert axe_violations(page) == []
