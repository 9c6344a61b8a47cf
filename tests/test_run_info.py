"""`manage.py run_info`, the banner of `make run`: where everything is, and a survey link that
opens a survey that takes answers today."""

import re
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from surveys import models as m
from surveys.demo.constants import DEMO_LINEAGE, DEMO_SOURCE
from tests.factories import (
    CampaignFactory,
    InvitationFactory,
    QuestionFactory,
    QuestionnaireFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db
BASE = "http://127.0.0.1:18000"


def banner() -> str:
    out = StringIO()
    call_command("run_info", "--base-url", BASE, stdout=out)
    return out.getvalue()


def survey_link(text: str) -> str:
    (link,) = re.findall(r"A survey:\s+(\S+)", text)
    return link


@pytest.fixture
def demo_campaign():
    """The demo's campaign and one closed demo ticket, with every sent link expired."""
    questionnaire = QuestionnaireFactory(lineage=DEMO_LINEAGE)
    QuestionFactory(questionnaire=questionnaire, key="nps")
    campaign = CampaignFactory(questionnaire=questionnaire)
    closed = timezone.now() - timedelta(days=40)
    ticket = TicketFactory(
        source=DEMO_SOURCE, status=m.TicketStatus.CLOSED, opened_at=closed, closed_at=closed
    )
    InvitationFactory(
        campaign=campaign, ticket=ticket, sent_at=closed, expires_at=closed + timedelta(days=14)
    )
    return campaign


def test_banner_names_the_dashboard_the_api_and_the_admin(settings, demo_campaign):
    text = banner()
    assert f"Dashboard:    {BASE}/reports/" in text
    assert f"{BASE}/api/schema/" in text and "docs/api.md" in text
    assert f"{BASE}/admin/" in text


def test_banner_adds_a_fresh_demo_invitation_when_every_link_has_expired(client, settings, demo_campaign):
    settings.DEBUG = True
    link = survey_link(banner())
    assert link.startswith(f"{BASE}/s/")
    response = client.get(urlsplit(link).path + "?score=9")
    assert response.status_code == 200
    assert b"expired" not in response.content.lower()
    fresh = m.Invitation.objects.get(token=urlsplit(link).path.split("/")[2])
    assert fresh.ticket.source == DEMO_SOURCE and fresh.expires_at > timezone.now() + timedelta(days=1)
    # The next start shows the same link rather than adding another ticket.
    assert survey_link(banner()) == link
    assert m.Ticket.objects.count() == 2


def test_banner_picks_an_open_invitation_without_adding_rows(client, settings, demo_campaign):
    settings.DEBUG = True
    open_one = InvitationFactory(campaign=demo_campaign)
    tickets = m.Ticket.objects.count()
    link = survey_link(banner())
    assert urlsplit(link).path == f"/s/{open_one.token}/"
    assert client.get(urlsplit(link).path).status_code == 200
    assert m.Ticket.objects.count() == tickets


def test_without_debug_the_banner_adds_nothing_and_shows_no_dead_link(settings, demo_campaign):
    settings.DEBUG = False
    text = banner()
    assert "A survey:" not in text
    assert m.Invitation.objects.count() == 1
