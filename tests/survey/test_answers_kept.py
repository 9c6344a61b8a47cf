"""No answer is lost: a refused (429) or failed (400) post shows the form again with everything
posted, a 429 says when to send again from its Retry-After, and a language switch keeps the
answers so far without storing or counting anything."""

import pytest

from surveys import models as m
from surveys.fragments import FRAGMENTS
from surveys.views.public import retry_wait_text
from tests.survey.conftest import url
from tests.survey.page_html import Page

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000.0  # a multiple of 600 and 60: rate-limit windows start here
TYPED = {
    "nps": "3",
    "why": "slow",
    "csat": "4",
    "topics": ["billing", "login"],
    "complain": "on",
    "comment": "The second agent <b>fixed</b> it",
}


def checked(page: Page, name: str) -> list[str]:
    return [i.get("value", "on") for i in page.find("input", name=name, checked=True)]


def assert_everything_typed_is_shown(page: Page) -> None:
    assert checked(page, "nps") == ["3"]
    assert checked(page, "why") == ["slow"]
    assert checked(page, "csat") == ["4"]
    assert checked(page, "topics") == ["billing", "login"]
    assert checked(page, "complain") == ["on"]
    assert page.text("id_comment") == "The second agent <b>fixed</b> it"


@pytest.mark.parametrize(
    ("now", "retry_after", "wait"),
    [
        (WINDOW_START + 338.2, "262", "Please send it again in 5 minutes."),
        (WINDOW_START + 590.5, "10", "Please send it again in 10 seconds."),
    ],
)
def test_a_refused_submit_shows_everything_typed_and_says_when_to_send_again(
    client, invitation, settings, monkeypatch, now, retry_after, wait
):
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: now)
    settings.SURVEY_RATE_LIMITS = {"survey-token": (1, 600)}
    client.post(url(invitation), {"csat": "9"})

    response = client.post(url(invitation), TYPED)

    assert response.status_code == 429
    assert response["Retry-After"] == retry_after
    page = Page(response.content.decode())
    assert page.title.startswith("Error: ")
    assert page.by_id("error-summary")["tabindex"] == "-1"
    assert page.text("error-summary") == (
        "Not sent yet This link was used many times in a short while. "
        f"Everything you entered is kept below. {wait}"
    )
    assert "wait a minute" not in response.content.decode()
    assert_everything_typed_is_shown(page)
    # Nobody made a mistake: nothing is marked invalid.
    assert page.find(aria_invalid=True) == []
    assert not m.Response.objects.exists()


def test_the_refusal_is_said_in_the_customers_language(client, invitation, settings, monkeypatch):
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: WINDOW_START + 338.2)
    settings.SURVEY_RATE_LIMITS = {"survey-token": (0, 600)}

    response = client.post(url(invitation, lang="zh-hans"), TYPED)

    page = Page(response.content.decode())
    assert page.title.startswith("错误：")
    assert page.text("error-summary").endswith("请在 5 分钟后再次提交。")
    assert page.text("id_comment") == TYPED["comment"]


def test_a_refused_save_my_rating_button_keeps_the_page_too(client, invitation, settings, monkeypatch):
    # The no-JavaScript button posts the whole form with action=score.
    monkeypatch.setattr("surveys.ratelimit.time.time", lambda: WINDOW_START + 30.0)
    settings.SURVEY_RATE_LIMITS = {"survey-score-token": (0, 600)}

    response = client.post(url(invitation), {**TYPED, "action": "score"})

    assert response.status_code == 429 and response["Retry-After"] == "570"
    assert_everything_typed_is_shown(Page(response.content.decode()))
    assert not m.ScoreClick.objects.exists()


def test_a_failed_submit_keeps_everything_typed_next_to_the_errors(client, invitation):
    response = client.post(url(invitation), {**TYPED, "why": "", "stars": "7"})

    assert response.status_code == 400
    page = Page(response.content.decode())
    assert checked(page, "nps") == ["3"] and checked(page, "csat") == ["4"]
    assert checked(page, "topics") == ["billing", "login"]
    assert page.text("id_comment") == TYPED["comment"]
    assert [a["href"] for a in page.find("a", data_error_link=True)] == ["#id_why_0", "#id_stars_0"]


def test_a_language_switch_shows_the_answers_so_far_in_the_other_language(client, invitation, settings):
    settings.SURVEY_RATE_LIMITS = {"survey-token": (1, 600), "survey-ip": (1, 60)}
    FRAGMENTS.clear()

    for _ in range(3):  # switching back and forth counts against no limit
        response = client.post(url(invitation, lang="zh-hans"), {**TYPED, "action": "language"})

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies
    html = response.content.decode()
    page = Page(html)
    assert '<html lang="zh-hans">' in html and "问题 nps？" in html
    assert page.find("form", action=f"/s/{invitation.token}/?lang=zh-hans")
    assert_everything_typed_is_shown(page)
    assert page.find(aria_invalid=True) == [] and not page.find(id="error-summary")
    # Nothing stored, and the customer's words are not kept in the rendered-fragment cache.
    assert not m.Response.objects.exists() and not m.ScoreClick.objects.exists()
    assert not any("fixed" in str(html) for html in FRAGMENTS._items.values())
    assert client.post(url(invitation, lang="zh-hans"), {**TYPED}).status_code == 303


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "Please send it again in 1 second."),
        (59, "Please send it again in 59 seconds."),
        (60, "Please send it again in 1 minute."),
        (61, "Please send it again in 2 minutes."),
        (600, "Please send it again in 10 minutes."),
    ],
)
def test_the_wait_is_never_shorter_than_retry_after(seconds, text):
    assert retry_wait_text(seconds) == text
