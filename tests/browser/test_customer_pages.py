"""Every page a customer can reach, in Chromium: axe-core in both languages (and dark mode), the
score buttons' size at 320/375/414 px, reflow at 200 % text, no jump when the notice appears,
what a screen reader reads, and focus rings and borders at 3:1.

The sizes measured here are the ones docs/survey-page.md records (SIZES=1 prints them).
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db.models import Max
from django.utils import timezone
from playwright.sync_api import expect

from surveys import models as m
from surveys.emails import invitation_email_message
from tests.browser.test_survey import PHONE_USER_AGENT, make_invitation
from tests.factories import QuestionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = ("moderate", "serious", "critical")
WIDTHS = (320, 375, 414)
SEND = {"en": "Send my answers", "zh-hans": "提交我的回答"}
UNSUBSCRIBE = {"en": "Unsubscribe", "zh-hans": "退订"}


@pytest.fixture(autouse=True)
def _customer_site(settings, live_server):
    settings.ROOT_URLCONF = "tests.browser.customer_urls"
    settings.SITE_URL = live_server.url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "c"}
    }


def phone_page(browser, width=375, **options):
    context = browser.new_context(
        viewport={"width": width, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=PHONE_USER_AGENT,
        **options,
    )
    return context, context.new_page()


def axe_violations(page, *, disable=()) -> list[dict]:
    # Evaluated by the test driver, not added as an inline <script> the page's CSP would refuse.
    page.evaluate(f"() => {{ {AXE.read_text()}\n }}")
    options = {
        "runOnly": {"type": "tag", "values": AXE_TAGS},
        "rules": {r: {"enabled": False} for r in disable},
    }
    result = page.evaluate("(options) => axe.run(document, options)", options)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:100] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


def email_html(invitation) -> str:
    invitation_email_message(invitation=invitation).send()
    return mail.outbox[-1].alternatives[0][0]


def visit_every_page(page, live_server, language) -> dict[str, list]:
    """Opens each customer page in ``language`` and returns axe's findings per page."""
    found = {}

    def check(name, **kwargs):
        found[name] = axe_violations(page, **kwargs)

    status = page.locator("[data-score-status]")
    why = page.locator('[data-question="why"]')

    fresh = make_invitation(language)
    page.goto(f"{live_server.url}/s/{fresh.token}/")
    check("survey, fresh")
    page.locator("#id_nps_2 + label").click()
    expect(why).to_be_visible()
    expect(status).not_to_be_empty()
    check("survey, follow-up shown")
    page.get_by_role("button", name=SEND[language]).click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check("survey, with errors")
    why.locator("input").first.check()
    page.get_by_role("button", name=SEND[language]).click()
    expect(page.locator(".survey-thanks")).to_be_visible()
    check("thank-you")

    clicked = make_invitation(language)
    clicked.sent_at = timezone.now() - timedelta(minutes=10)
    clicked.save()
    page.goto(f"{live_server.url}/s/{clicked.token}/?score=9")
    expect(status).not_to_be_empty()
    check("survey, after one-click")

    closed = {
        "expired": {"expires_at": timezone.now() - timedelta(days=1)},
        "cancelled": {"status": m.InvitationStatus.CANCELLED},
    }
    for name, fields in closed.items():
        invitation = make_invitation(language)
        m.Invitation.objects.filter(pk=invitation.pk).update(**fields)
        page.goto(f"{live_server.url}/s/{invitation.token}/")
        expect(page.locator(".survey-state")).to_be_visible()
        check(name)
    paused = make_invitation(language)
    m.Campaign.objects.filter(pk=paused.campaign_id).update(is_active=False)
    page.goto(f"{live_server.url}/s/{paused.token}/")
    expect(page.locator('.survey-state[data-state="paused"]')).to_be_visible()
    check("paused")
    page.goto(f"{live_server.url}/s/no-such-token-anywhere-at-all/?lang={language}")
    check("unknown link")

    optout = make_invitation(language)
    page.goto(f"{live_server.url}/u/{optout.token}/")
    check("unsubscribe")
    page.get_by_role("button", name=UNSUBSCRIBE[language], exact=True).click()
    expect(page.locator("h1")).not_to_have_text(re.compile("^$"))
    expect(page.locator("[role=status]")).to_be_visible()
    check("unsubscribe, done")
    snooze = make_invitation(language)
    page.goto(f"{live_server.url}/u/{snooze.token}/")
    page.locator('button[value="snooze"]').click()
    expect(page.locator("[role=status]")).to_be_visible()
    check("unsubscribe, snoozed")
    page.goto(f"{live_server.url}/u/no-such-token/")
    check("unsubscribe, unknown link")

    # An email is not a web page: no landmarks or <main> to find. Every other rule applies.
    # Opened in a fresh tab: the site's Content-Security-Policy would refuse the email's inline
    # styles (mail clients apply them), and axe must judge the email as a reader sees it.
    mail_tab = page.context.new_page()
    mail_tab.set_content(email_html(make_invitation(language)))
    found["email"] = axe_violations(mail_tab, disable=("region", "landmark-one-main", "page-has-heading-one"))
    mail_tab.close()
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_customer_page_has_no_moderate_or_serious_axe_violation(browser, live_server, language):
    context, page = phone_page(browser)
    found = visit_every_page(page, live_server, language)
    context.close()

    assert len(found) == 14
    assert {name: v for name, v in found.items() if v} == {}


def test_every_customer_page_passes_axe_in_dark_mode_too(browser, live_server):
    context, page = phone_page(browser, color_scheme="dark")
    found = visit_every_page(page, live_server, "en")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    context.close()

    assert {name: v for name, v in found.items() if v} == {}


def rich_invitation(language="en"):
    """make_invitation's survey plus stars and a yes/no question: every kind of score control."""
    invitation = make_invitation(language)
    last = invitation.questionnaire.questions.aggregate(last=Max("order"))["last"]
    for order, (key, kind) in enumerate(
        (("stars", m.QuestionKind.RATING), ("solved", m.QuestionKind.YES_NO)), last + 1
    ):
        QuestionFactory(questionnaire=invitation.questionnaire, key=key, kind=kind, order=order)
    return invitation


MEASURE = """() => [...document.querySelectorAll('.scale-option, button[type=submit], .form-check-label')]
  .filter((el) => el.offsetParent !== null)
  .map((el) => {
    const box = el.getBoundingClientRect();
    const number = el.querySelector('.scale-number');
    return {
      name: el.closest('[data-question]')?.dataset.question || el.textContent.trim(),
      text: el.textContent.trim().split(/\\s+/)[0],
      width: box.width, height: box.height, left: box.left, right: box.right, top: box.top,
      lines: number ? number.getClientRects().length : 1,
      numberHeight: number ? number.getBoundingClientRect().height : 0,
    };
  })"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_score_control_is_at_least_44_px_square_and_fits_the_screen(browser, live_server, width):
    invitation = rich_invitation()
    context, page = phone_page(browser, width)
    page.goto(f"{live_server.url}/s/{invitation.token}/?score=3")
    expect(page.locator('[data-question="why"]')).to_be_visible()

    controls = page.evaluate(MEASURE)
    context.close()

    nps = [c for c in controls if c["name"] == "nps"]
    assert [c["text"] for c in nps] == [str(n) for n in range(11)]
    small = [c for c in controls if c["width"] < 44 or c["height"] < 44]
    assert small == []
    assert all(c["left"] >= 0 and c["right"] <= width for c in controls)
    # "10" stays on one line, as tall as "0".
    assert nps[10]["numberHeight"] == nps[0]["numberHeight"]
    # On a phone, two rows: 0–5 and 6–10.
    assert len({c["top"] for c in nps[:6]}) == 1 and len({c["top"] for c in nps[6:]}) == 1
    assert nps[6]["top"] > nps[0]["top"]
    if os.environ.get("SIZES") == "1":
        sizes = {c["name"]: f"{c['width']:.0f}×{c['height']:.0f}" for c in reversed(controls)}
        print(f"\n{width} px: NPS {nps[0]['width']:.0f}×{nps[0]['height']:.0f}", sizes)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_sideways_scroll_at_320_px_with_text_at_200_percent(browser, live_server, language):
    invitation = rich_invitation(language)
    context, page = phone_page(browser, 320)
    page.goto(f"{live_server.url}/s/{invitation.token}/?score=3")
    expect(page.locator('[data-question="why"]')).to_be_visible()
    # Text zoom: the root font size doubled (set through the CSSOM, which the CSP allows).
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "32px"

    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.scale-option')]
             .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.textContent.trim())"""
    )
    context.close()

    assert overflow <= 0
    assert clipped == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_saved_notice_moves_nothing(browser, live_server, width, language):
    invitation = make_invitation(language)
    context, page = phone_page(browser, width)
    page.goto(f"{live_server.url}/s/{invitation.token}/")
    status = page.locator("[data-score-status]")
    expect(status).to_be_empty()
    before = page.locator("[data-survey-form]").bounding_box()["y"]

    page.locator("#id_nps_8 + label").click()
    expect(status).not_to_be_empty()
    after = page.locator("[data-survey-form]").bounding_box()["y"]
    context.close()

    assert after == before


def test_screen_reader_names_scores_stars_and_the_counter(browser, live_server):
    invitation = rich_invitation()
    context, page = phone_page(browser)
    page.goto(f"{live_server.url}/s/{invitation.token}/")

    for name in (
        "0 – Not at all likely",
        "5 – Neither likely nor unlikely",
        "9 – Very likely",
        "10 – Extremely likely",
    ):
        expect(page.get_by_role("radio", name=name, exact=True)).to_have_count(1)
    comment = page.get_by_role("textbox", name="Anything else?")
    comment.fill("four")
    expect(comment).to_have_accessible_description(re.compile(r"^4 / 5000 characters$"))
    said = page.locator("[data-stars-said]")
    expect(said).to_have_text("")
    page.locator('[data-question="stars"] label').nth(2).click()
    expect(said).to_have_text("3 stars")  # in words, not by colour alone
    context.close()

    mail_page = browser.new_page()
    mail_page.set_content(email_html(invitation))
    links = mail_page.get_by_role("link", name=re.compile(r"^\d+ – "))
    names = [links.nth(i).get_attribute("aria-label") for i in range(links.count())]
    mail_page.close()
    assert names[0] == "0 – Not at all likely" and names[9] == "9 – Very likely" and len(names) == 11


CONTRAST = """(pairs) => {
  const rgb = (css) => css.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (css) => {
    const [r, g, b] = rgb(css).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const card = getComputedStyle(document.querySelector('.card')).backgroundColor;
  return pairs.map(([selector, property]) => {
    const style = getComputedStyle(document.querySelector(selector));
    // The ring is the second shadow: a card-coloured gap, then the ring itself.
    const value = property === 'ring' ? style.boxShadow.split(/px, /)[1] : style[property];
    return [selector, property, value ? Math.round(ratio(value, card) * 100) / 100 : 0];
  });
}"""


def _score_save(response) -> bool:
    return response.request.method == "POST" and "/s/" in response.url


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_rings_and_control_borders_reach_3_to_1(browser, live_server, scheme):
    invitation = rich_invitation()
    context, page = phone_page(browser, color_scheme=scheme)
    # Every score save this test causes is awaited before the context closes: a save still in
    # flight when the test ends would write while the test database is being flushed.
    with page.expect_response(_score_save):  # the email link's one-click score
        page.goto(f"{live_server.url}/s/{invitation.token}/?score=3")
    expect(page.locator('[data-question="why"]')).to_be_visible()
    page.locator("#id_nps_3").focus()
    page.keyboard.press("ArrowRight")  # keyboard focus: :focus-visible
    ratios = page.evaluate(
        CONTRAST,
        [
            ["label[for=id_nps_4]", "ring"],
            ["label[for=id_nps_0]", "borderTopColor"],
            ["#id_comment", "borderTopColor"],
            ['[data-question="stars"] label', "color"],  # an unlit star
        ],
    )
    with page.expect_response(_score_save):  # the arrow's choice, saved as focus leaves the scale
        page.locator("#id_comment").focus()
    page.keyboard.press("a")
    ratios += page.evaluate(CONTRAST, [["#id_comment", "ring"]])
    context.close()

    assert [r for r in ratios if r[2] < 3] == [], ratios
