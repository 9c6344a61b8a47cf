"""The customer's minute in a real browser: no answer lost, errors a person can find, the
follow-up where the eye is. A phone-sized Chromium, keyboard first."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from surveys import models as m
from tests.browser.test_survey import PHONE, PHONE_USER_AGENT, REASONS, _survey_site  # noqa: F401
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _shipped_limits(_survey_site, settings):  # noqa: F811 - after the site fixture
    """The rate limits as shipped (surveys/ratelimit.py), counted from zero."""
    settings.SURVEY_RATE_LIMITS = {}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, user_agent=PHONE_USER_AGENT)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def invitation(db):
    """NPS first, three more questions, then the follow-up for a low score ordered last, as in
    the demo questionnaire: the page must still show it right under the score."""
    questionnaire = QuestionnaireFactory(title="How did we do?", title_zh_hans="我们做得怎么样？")
    questions = [
        (
            "nps",
            m.QuestionKind.NPS,
            "How likely are you to recommend us?",
            "您向朋友推荐我们的可能性有多大？",
            {},
        ),
        ("csat", m.QuestionKind.CSAT, "How satisfied are you with the answer?", "您对答复满意吗？", {}),
        ("stars", m.QuestionKind.RATING, "How quickly did we respond?", "我们的响应速度如何？", {}),
        ("comment", m.QuestionKind.TEXT, "Anything else?", "还有其他想说的吗？", {}),
        (
            "why",
            m.QuestionKind.SINGLE_CHOICE,
            "What went wrong?",
            "哪里做得不好？",
            {"choices": REASONS, "condition_key": "nps", "condition_values": [str(n) for n in range(7)]},
        ),
    ]
    for order, (key, kind, text, text_zh, extra) in enumerate(questions, start=1):
        QuestionFactory(
            questionnaire=questionnaire,
            order=order,
            key=key,
            kind=kind,
            text=text,
            text_zh_hans=text_zh,
            required=key in ("nps", "why"),
            **extra,
        )
    campaign = CampaignFactory(questionnaire=questionnaire, alert_recipients="")
    return InvitationFactory(
        campaign=campaign, language=m.Language.EN, sent_at=timezone.now() - timedelta(hours=1)
    )


def survey_url(live_server, invitation) -> str:
    return f"{live_server.url}/s/{invitation.token}/"


def watch_posts(page) -> list[list]:
    """[kind, status] of every POST the page starts, in order: "score" for the script's score
    saves (fetch, answered in JSON), "form" for what the form itself sends. The status stays
    None for a request that never got an answer (a save the script aborted)."""
    seen: list[list] = []
    by_request = {}

    def on_request(request):
        if request.method == "POST":
            kind = "score" if request.headers.get("accept") == "application/json" else "form"
            by_request[request] = entry = [kind, None]
            seen.append(entry)

    def on_response(response):
        if response.request in by_request:
            by_request[response.request][1] = response.status

    page.on("request", on_request)
    page.on("response", on_response)
    return seen


def tab_to(page, selector: str) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_an_arrow_sweep_across_the_nps_scale_saves_once_and_send_stores_every_answer(
    page, live_server, invitation
):
    posts = watch_posts(page)
    page.goto(survey_url(live_server, invitation))

    tab_to(page, "input[name=nps]")
    for _ in range(20):  # 0 → 1 → … → 10 → 0 → … → 9: each step a "change"
        page.keyboard.press("ArrowRight")
    expect(page.locator("#id_nps_9")).to_be_checked()
    tab_to(page, "#id_comment")
    page.keyboard.type("Kept through the sweep")
    expect(page.locator("[data-score-status]")).to_contain_text("your rating is saved")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    response = m.Response.objects.get(invitation=invitation)
    assert (response.is_complete, response.nps_score) == (True, 9)
    assert response.answers.get(question__key="comment").text == "Kept through the sweep"
    # One score save for the whole sweep (on leaving the scale), then the form; nothing refused.
    assert posts == [["score", 200], ["form", 303]], posts
    click = m.ScoreClick.objects.get(invitation=invitation)
    assert (click.score, click.source) == (9, "page")


def test_enter_on_a_scale_or_a_choice_never_sends_the_form(page, live_server, invitation):
    posts = watch_posts(page)
    page.goto(survey_url(live_server, invitation))
    page.evaluate("() => { window.stillHere = true; }")

    page.locator("#id_nps_2").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.locator("#id_csat_0").focus()
    page.keyboard.press("Enter")
    page.locator("#id_why_0").focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(600)
    expect(page.locator("[data-score-status]")).to_contain_text("your rating is saved")

    assert page.evaluate("() => window.stillHere === true")  # no navigation, no reload
    # Space chose 2 and saved it at once; none of the Enters sent anything.
    assert posts == [["score", 200]], posts
    assert not m.Response.objects.filter(invitation=invitation, is_complete=True).exists()


def test_after_a_failed_submit_the_summary_has_focus_the_title_says_error_and_links_reach_the_field(
    page, live_server, invitation
):
    page.goto(survey_url(live_server, invitation))
    page.locator("#id_nps_3 + label").click()  # opens the required follow-up, left unanswered
    page.locator("#id_comment").fill("Still here after the error")
    page.get_by_role("button", name="Send my answers").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: How did we do?")
    expect(summary).to_contain_text("What went wrong? — This field is required.")
    expect(page.locator("#id_comment")).to_have_value("Still here after the error")
    expect(page.get_by_role("radiogroup", name="What went wrong?")).to_have_attribute("aria-invalid", "true")

    summary.get_by_role("link").click()

    expect(page.locator("#id_why_0")).to_be_focused()
    assert page.locator("#id_why_0").bounding_box()["y"] >= 0  # scrolled into view


def ax_properties(page, selector: str) -> dict:
    """What Chromium's accessibility tree says of the element: {property: value}."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("Accessibility.enable")
    document = cdp.send("DOM.getDocument", {"depth": 0})
    node = cdp.send("DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": selector})
    tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node["nodeId"], "fetchRelatives": False})
    ax = next(n for n in tree["nodes"] if not n.get("ignored"))
    found = {p["name"]: p["value"].get("value") for p in ax.get("properties", [])}
    found["role"] = ax["role"]["value"]
    found["name"] = ax.get("name", {}).get("value")
    return found


def test_a_fresh_page_says_required_and_announces_nothing_invalid(page, live_server, invitation):
    page.goto(survey_url(live_server, invitation))

    group = ax_properties(page, "#div_id_nps")
    assert (group["role"], group["name"], group["required"]) == (
        "radiogroup",
        "How likely are you to recommend us?",
        True,
    )
    assert ax_properties(page, "#div_id_csat")["required"] is False
    # With the HTML required attribute Chromium said "invalid" of every empty radio here.
    for selector in ("#id_nps_0", "#div_id_nps", "#id_csat_0", "#id_comment"):
        assert ax_properties(page, selector).get("invalid", "false") == "false", selector
    expect(page.locator(".survey-required-note")).to_have_text("Questions marked * need an answer.")


def test_the_follow_up_appears_right_after_its_trigger_and_is_announced(page, live_server, invitation):
    page.goto(survey_url(live_server, invitation))
    why = page.locator('[data-question="why"]')
    expect(why).to_be_hidden()

    page.locator("#id_nps_4 + label").click()

    expect(why).to_be_visible()
    announcer = page.locator("[data-survey-announce]")
    expect(announcer).to_have_text("A question appeared just below: What went wrong?")
    assert announcer.get_attribute("role") == "status"
    # Next in the document, and on screen right under the score, not 1,300 px further down.
    next_key = page.evaluate(
        """() => [...document.querySelectorAll('[data-question]')].map(b => b.dataset.question)"""
    )
    assert next_key[next_key.index("nps") + 1] == "why"
    gap = page.evaluate(
        """() => {
            const box = (key) => document.querySelector(`[data-question="${key}"]`).getBoundingClientRect();
            return box("why").top - box("nps").bottom;
        }"""
    )
    assert 0 <= gap < 80, gap
    # Focus stays on the scale, so the customer can keep moving along it.
    page.locator("#id_nps_4").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # 7: the follow-up goes away again
    expect(why).to_be_hidden()
    expect(page.locator("#id_nps_7")).to_be_focused()
    # Leaving the scale saves the choice; let that land before the test's database goes.
    with page.expect_response(lambda response: response.request.method == "POST") as saved:
        page.keyboard.press("Tab")
    assert saved.value.status == 200


def test_switching_language_keeps_a_typed_comment_and_sets_no_cookie(page, context, live_server, invitation):
    posts = watch_posts(page)
    page.goto(survey_url(live_server, invitation))
    page.locator("#id_csat_3 + label").click()
    page.locator("#id_comment").fill("客服很耐心 — typed before switching")

    page.get_by_role("link", name="简体中文").click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("button", name="提交我的回答")).to_be_visible()
    expect(page.locator("#id_comment")).to_have_value("客服很耐心 — typed before switching")
    expect(page.locator("#id_csat_3")).to_be_checked()
    assert context.cookies() == []
    assert not m.Response.objects.filter(invitation=invitation).exists()

    # The score is saved as soon as it is chosen; submitting while that save is still on its
    # way would have it arrive after the survey is answered (409, harmless but not this test).
    with page.expect_response(lambda r: r.request.method == "POST" and r.request.headers.get("accept") == "application/json"):
        page.locator("#id_nps_10 + label").click()
    page.get_by_role("button", name="提交我的回答").click()

    expect(page.get_by_role("heading", name="谢谢！")).to_be_visible()
    response = m.Response.objects.get(invitation=invitation)
    assert (response.language, response.nps_score, response.csat_score) == ("zh-hans", 10, 4)
    assert response.answers.get(question__key="comment").text == "客服很耐心 — typed before switching"
    assert [kind for kind, status in posts if status and status >= 400] == [], posts
