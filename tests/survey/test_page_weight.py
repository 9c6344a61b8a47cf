"""What a slow phone downloads: one small stylesheet, a deferred script, compressed HTML; and the
names a screen reader reads (NPS meanings, the counter, the chosen stars)."""

import gzip
import re

import pytest
from django.template.loader import render_to_string

from surveys import models as m
from tests.factories import InvitationFactory
from tests.survey.conftest import url

pytestmark = pytest.mark.django_db


def stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


def test_survey_html_is_gzipped_for_a_client_that_accepts_it(client, invitation):
    plain = client.get(url(invitation))
    packed = client.get(url(invitation), HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3
    assert "Accept-Encoding" in packed["Vary"]
    assert "Set-Cookie" not in packed and not packed.cookies


def test_unsubscribe_page_with_its_csrf_token_is_never_compressed(client, invitation, settings):
    # BREACH: a compressed body holding a CSRF token leaks it byte by byte.
    settings.ROOT_URLCONF = "tests.browser.customer_urls"
    page = client.get(f"/u/{invitation.token}/", HTTP_ACCEPT_ENCODING="gzip")

    assert page.status_code == 200
    assert "csrfmiddlewaretoken" in page.content.decode()
    assert "Content-Encoding" not in page


@pytest.mark.parametrize(
    "state_fields",
    [
        {},
        {"status": m.InvitationStatus.CANCELLED},
        {"expires_at": None, "status": m.InvitationStatus.EXPIRED},
    ],
)
def test_customer_pages_load_one_stylesheet_not_bootstrap_and_defer_scripts(client, campaign, state_fields):
    invitation = InvitationFactory(campaign=campaign, **state_fields)
    html = client.get(url(invitation)).content.decode()

    assert stylesheets(html) == ["/static/surveys/survey.css"]
    assert "bootstrap" not in html
    assert all(" defer" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert '<meta name="color-scheme" content="light dark">' in html


def test_unsubscribe_pages_load_only_the_survey_stylesheet(client, invitation, settings):
    settings.ROOT_URLCONF = "tests.browser.customer_urls"
    for path in (f"/u/{invitation.token}/", "/u/not-a-token/"):
        assert stylesheets(client.get(path).content.decode()) == ["/static/surveys/survey.css"]


def test_pages_outside_the_customers_keep_bootstrap():
    html = render_to_string("base.html")
    assert stylesheets(html) == ["/static/vendor/bootstrap/bootstrap.min.css"]


def test_each_nps_button_is_named_with_its_meaning(client, invitation):
    html = client.get(url(invitation)).content.decode()

    assert (
        '<span class="scale-number">0</span><span class="visually-hidden"> – Not at all likely</span>' in html
    )
    assert '<span class="scale-number">9</span><span class="visually-hidden"> – Very likely</span>' in html
    assert (
        '<span class="scale-number">10</span><span class="visually-hidden"> – Extremely likely</span>' in html
    )


def test_nps_meanings_in_chinese(client, invitation):
    html = client.get(url(invitation, lang="zh-hans")).content.decode()

    assert '<span class="scale-number">0</span><span class="visually-hidden"> – 完全不可能</span>' in html
    assert '<span class="scale-number">9</span><span class="visually-hidden"> – 很可能</span>' in html


def test_the_character_counter_describes_its_text_box(client, invitation):
    html = client.get(url(invitation)).content.decode()

    assert re.search(r'<textarea[^>]*aria-describedby="id_comment_counter"', html)
    assert '<div id="id_comment_counter" class="form-text text-end char-counter' in html


def test_chosen_stars_are_said_in_words(client, invitation):
    fresh = client.get(url(invitation)).content.decode()
    assert '<p class="scale-said" data-stars-said aria-hidden="true"></p>' in fresh

    refused = client.post(url(invitation), {"nps": "9", "stars": "4", "csat": "x"})
    assert refused.status_code == 400
    assert '<p class="scale-said" data-stars-said aria-hidden="true">4 stars</p>' in refused.content.decode()
