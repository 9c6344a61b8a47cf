"""A mail scanner in a real browser: Chromium opens every score link of a real invitation
email at once, running the page's script as a gateway's sandbox does. Nothing is counted,
every click is set aside with its reason; a person opening one link a minute later counts."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from surveys import models as m
from surveys.reports.filters import ReportFilters, site_today
from surveys.reports.set_aside import scanner_clicks_set_aside
from surveys.services import sending, sending_smtp
from surveys.services.score_clicks import score_clicks_settle
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Scanners present an ordinary desktop browser; only the pattern gives them away.
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
SAVED = "Thanks — your rating is saved."


@pytest.fixture(autouse=True)
def _survey_site(settings, live_server):
    settings.ROOT_URLCONF = "tests.survey.urls"
    settings.SITE_URL = live_server.url
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s"}}
    settings.SCANNER_WINDOW_SECONDS = 120
    settings.SCANNER_SWEEP_SECONDS = 10


def sent_invitation(site: str) -> tuple[m.Invitation, list[str]]:
    """An NPS invitation sent through the real sending service; its email's score links."""
    questionnaire = QuestionnaireFactory(title="How did we do?")
    QuestionFactory(questionnaire=questionnaire, key="nps", kind=m.QuestionKind.NPS, order=1, required=True)
    QuestionFactory(questionnaire=questionnaire, key="comment", kind=m.QuestionKind.TEXT, order=2)
    campaign = CampaignFactory(questionnaire=questionnaire, alert_recipients="")
    invitation = InvitationFactory(campaign=campaign, status=m.InvitationStatus.SCHEDULED, sent_at=None)
    sending_smtp.mailer.close()
    assert sending.invitation_send(invitation_id=invitation.pk).outcome == sending.SendOutcome.SENT
    [message] = mail.outbox
    html = message.alternatives[0][0]
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+\?score=\d+)"', html)]
    assert len(links) == 11 and all(link.startswith(f"{site}/s/") for link in links)
    invitation.refresh_from_db()
    return invitation, links


# Eleven requests write at once. The SQLite test database is in memory with a shared cache,
# where a concurrent writer gets "database table is locked" at once (no busy timeout), unlike
# the product's SQLite file (WAL, IMMEDIATE transactions, a 20 s timeout): PostgreSQL only.
@pytest.mark.postgres
def test_chromium_opening_every_link_at_once_counts_nothing_then_a_person_counts(browser, live_server):
    invitation, links = sent_invitation(live_server.url)

    scanner = browser.new_context(user_agent=DESKTOP)
    pages = [scanner.new_page() for _ in links]
    for page, link in zip(pages, links, strict=True):
        page.goto(link, wait_until="commit")  # all eleven load at the same time
    for page in pages:
        expect(page.locator("[data-score-status]")).to_contain_text(SAVED, timeout=20_000)
    scanner.close()

    clicks = list(m.ScoreClick.objects.filter(invitation=invitation))
    assert sorted(c.score for c in clicks) == list(range(11))
    assert {c.verdict for c in clicks} == {m.ClickVerdict.SET_ASIDE}
    assert {c.reason for c in clicks} <= {m.ClickReason.FULL_SWEEP, m.ClickReason.DIFFERENT_SCORES}
    assert any(c.reason == m.ClickReason.FULL_SWEEP for c in clicks)
    assert all(c.user_agent == DESKTOP and c.network == "127.0.0.0/24" for c in clicks)
    assert all(c.seconds_since_sent is not None and c.seconds_since_sent < 60 for c in clicks)
    score_clicks_settle(now=timezone.now() + timedelta(hours=1))
    assert not m.Response.objects.filter(invitation=invitation).exists()
    today = ReportFilters(start=site_today(), end=site_today() + timedelta(days=1))
    assert scanner_clicks_set_aside(today) == 11

    # A minute later the customer reads the email and taps 8.
    with time_machine.travel(timezone.now() + timedelta(seconds=60), tick=True):
        person = browser.new_context(user_agent=PHONE, is_mobile=True, has_touch=True)
        page = person.new_page()
        page.goto(links[8])
        expect(page.locator("[data-score-status]")).to_contain_text(SAVED)
        person.close()
        mine = m.ScoreClick.objects.get(invitation=invitation, user_agent=PHONE)
        assert (mine.score, mine.verdict, mine.nearby_clicks) == (8, m.ClickVerdict.PROVISIONAL, 0)
        assert mine.seconds_since_sent >= 60

        score_clicks_settle(now=mine.provisional_until)
    response = m.Response.objects.get(invitation=invitation)
    assert (response.nps_score, response.is_complete, response.started_at) == (8, False, mine.clicked_at)
    assert m.ScoreClick.objects.filter(invitation=invitation, verdict=m.ClickVerdict.SET_ASIDE).count() == 11


def test_headless_chromium_as_it_comes_is_a_known_signature(page, live_server):
    invitation, links = sent_invitation(live_server.url)
    assert "HeadlessChrome" in page.evaluate("navigator.userAgent")

    page.goto(links[10])
    expect(page.locator("[data-score-status]")).to_contain_text(SAVED)  # a scanner learns nothing

    click = m.ScoreClick.objects.get(invitation=invitation)
    assert (click.score, click.verdict, click.reason) == (10, m.ClickVerdict.SET_ASIDE, m.ClickReason.SIGNATURE)
