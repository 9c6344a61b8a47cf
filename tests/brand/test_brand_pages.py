"""The brand on every page a customer sees, its logo served, and the CSP nonce that lets its
colours in without 'unsafe-inline'."""

import re

import pytest
from django.urls import reverse

from surveys import models as m
from surveys.sample_links import sample_link_token
from surveys.services.brand import brand_update
from tests.brand.images import jpeg, png
from tests.factories import CampaignFactory, InvitationFactory, ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def update(django_capture_on_commit_callbacks):
    """brand_update, with the cache dropped as its commit would."""

    def run(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return brand_update(**fields)

    return run


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def brand_style(html: str) -> re.Match | None:
    return re.search(r'<style nonce="([^"]+)">(.*?)</style>', html, re.S)


@pytest.fixture
def branded(update):
    return update(name="Acme & Co", primary_colour="#ffff00", logo=png(120, 40))


def _survey(client):
    return client.get(reverse("surveys:survey", args=[InvitationFactory().token]))


def _thanks(client):
    return client.get(reverse("surveys:survey", args=[ResponseFactory().invitation.token]))


def _withdrawn(client):
    invitation = InvitationFactory(status=m.InvitationStatus.CANCELLED)
    return client.get(reverse("surveys:survey", args=[invitation.token]))


def _expired(client):
    invitation = InvitationFactory(expires_at=None, status=m.InvitationStatus.EXPIRED)
    return client.get(reverse("surveys:survey", args=[invitation.token]))


def _opt_out(client):
    return client.get(reverse("surveys:unsubscribe", args=[InvitationFactory().token]))


def _opt_out_unknown(client):
    return client.get(reverse("surveys:unsubscribe", args=["not-a-token"]))


def _test_survey(client):
    campaign = CampaignFactory()
    signed = sample_link_token(
        campaign_id=campaign.pk, questionnaire_id=campaign.questionnaire_id, language="en"
    )
    return client.get(reverse("surveys:sample_survey", args=[signed]))


PAGES = {
    "survey": _survey,
    "thank-you": _thanks,
    "withdrawn": _withdrawn,
    "expired": _expired,
    "opt-out": _opt_out,
    "opt-out, unknown link": _opt_out_unknown,
    "signed test survey": _test_survey,
}


@pytest.mark.parametrize("kind", PAGES)
def test_every_customer_page_shows_the_brand_with_a_nonced_style(client, branded, kind):
    response = PAGES[kind](client)
    html = response.content.decode()

    assert response.status_code in (200, 404, 410), response.status_code
    logo = f"/brand/logo/{branded.logo_hash}.png"
    assert f'<img class="brand-logo" src="{logo}" alt="Acme &amp; Co" width="120" height="40">' in html
    style = brand_style(html)
    assert style is not None
    assert "--accent:#707000" in style[2] and "--brand-band:#ffff00" in style[2]
    assert "prefers-color-scheme: dark" in style[2]
    directives = policy(response)
    assert f"'nonce-{style[1]}'" in directives["style-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    # still one stylesheet, before the brand's colours so they win
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == ["/static/surveys/survey.css"]
    assert html.index("survey.css") < html.index("<style nonce")


def test_without_a_brand_the_page_keeps_its_own_look_and_policy(client):
    response = _survey(client)
    html = response.content.decode()

    assert brand_style(html) is None and "brand-header" not in html
    assert policy(response)["style-src"] == ["'self'"]


def test_a_name_without_a_logo_is_shown_as_text(client, update):
    update(name="Acme <b>", primary_colour="")
    html = _survey(client).content.decode()

    assert '<span class="brand-name">Acme &lt;b&gt;</span>' in html
    assert brand_style(html) is None


def test_a_changed_brand_shows_on_the_next_request(client, branded, update):
    assert "Acme &amp; Co" in _survey(client).content.decode()

    update(name="Globex", primary_colour="#1d4ed8", logo=None)
    html = _survey(client).content.decode()

    assert "Acme" not in html and '<span class="brand-name">Globex</span>' in html
    assert "--accent:#1d4ed8" in brand_style(html)[2]


def test_the_logo_is_served_with_its_type_and_kept_for_a_year(client, branded):
    response = client.get(f"/brand/logo/{branded.logo_hash}.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == png(120, 40)


def test_a_jpeg_logo_is_served_as_jpeg(client, update):
    brand = update(name="Acme", primary_colour="", logo=jpeg(64, 32))
    response = client.get(f"/brand/logo/{brand.logo_hash}.jpg")

    assert response["Content-Type"] == "image/jpeg" and response.content == jpeg(64, 32)
    assert client.get(f"/brand/logo/{brand.logo_hash}.png").status_code == 404


def test_an_old_or_unknown_logo_url_is_not_found(client, branded, update):
    old = branded.logo_hash
    update(name="Acme", primary_colour="", logo=png(60, 20))

    assert client.get(f"/brand/logo/{old}.png").status_code == 404
    assert client.get("/brand/logo/0123456789abcdef.png").status_code == 404
    assert client.get("/brand/logo/nothex.png").status_code == 404
    assert client.post(f"/brand/logo/{old}.png").status_code in (404, 405)


def test_a_warm_branded_survey_page_does_not_read_the_brand_from_the_database(client, branded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = InvitationFactory().token
    client.get(reverse("surveys:survey", args=[token]))  # warms the brand (and the questions)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("surveys:survey", args=[token]))

    assert "Acme &amp; Co" in page.content.decode()
    # From Redis (tests/survey/test_hot_path.py holds the page's whole budget).
    assert [q["sql"] for q in queries if "surveys_brand" in q["sql"]] == []


def test_with_redis_unreachable_the_brand_is_read_from_the_database(client, settings, update):
    from tests.sending.smtp_sink import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "surveys.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25},
        }
    }
    update(name="Acme", primary_colour="#ffff00")  # the cache delete fails open too

    page = _survey(client)

    assert page.status_code == 200
    assert '<span class="brand-name">Acme</span>' in page.content.decode()
