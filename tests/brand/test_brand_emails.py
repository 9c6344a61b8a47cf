"""The invitation and its reminder carry the brand: the name in the HTML and the text, the logo
by its absolute URL, the derived colours on the buttons and links."""

import pytest

from surveys.emails import invitation_email_message, invitation_email_render_sample
from surveys.services.brand import brand_update
from tests.brand.images import png
from tests.factories import CampaignFactory, InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def branded(django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://surveys.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        return brand_update(name="Acme & Co", primary_colour="#ffff00", logo=png(240, 96))


def html_of(message) -> str:
    return message.alternatives[0][0]


@pytest.mark.parametrize("reminder", [False, True])
def test_invitation_and_reminder_show_the_name_logo_and_colours(branded, reminder):
    message = invitation_email_message(invitation=InvitationFactory(), reminder=reminder)
    html = html_of(message)

    logo = f"https://surveys.example.com/brand/logo/{branded.logo_hash}.png"
    # 240 × 96 scaled to 48 px tall
    assert f'<img src="{logo}" alt="Acme &amp; Co" width="120" height="48"' in html
    assert "color:#707000" in html  # yellow darkened to 4.5:1 on white
    assert "#1d4ed8" not in html  # no default colour left over
    assert message.body.startswith("Acme & Co\n")
    assert "--\nAcme & Co\n" in message.body
    assert "Acme &amp; Co<br>" in html  # the footer names the sender's organisation


def test_a_name_without_a_logo_is_written_out(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        brand_update(name="Globex", primary_colour="")
    html = html_of(invitation_email_message(invitation=InvitationFactory()))

    assert "<img" not in html and ">Globex</td>" in html
    assert "#1d4ed8" in html  # no colour chosen: the product's own


def test_without_a_brand_the_email_is_unbranded():
    message = invitation_email_message(invitation=InvitationFactory())

    assert "<img" not in html_of(message) and "#1d4ed8" in html_of(message)
    assert not message.body.startswith("\n")  # no empty line where the name would be
    assert "--\nYou received this email" in message.body


def test_the_admin_preview_shows_the_brand_too(branded):
    rendered = invitation_email_render_sample(campaign=CampaignFactory(), language="en")

    assert f"/brand/logo/{branded.logo_hash}.png" in rendered["html"]
    assert rendered["text"].startswith("Acme & Co")
