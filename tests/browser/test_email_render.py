"""A real sent invitation email, its HTML part opened in Chromium at a phone's width: every
score link is visible, fits the screen and is big enough to tap (at least 40×40 px)."""

import os

import pytest
from django.core import mail

from surveys import models as m
from surveys.services import sending, sending_smtp
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory, QuestionnaireFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"width": 375, "height": 812}


def _sent_html(kind, language=m.Language.EN) -> str:
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=kind, order=1)
    campaign = CampaignFactory(questionnaire=questionnaire)
    invitation = InvitationFactory(
        campaign=campaign,
        status=m.InvitationStatus.SCHEDULED,
        sent_at=None,
        expires_at=None,
        language=language,
    )
    sending_smtp.mailer.close()
    assert sending.invitation_send(invitation_id=invitation.pk).outcome == sending.SendOutcome.SENT
    [message] = mail.outbox
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.mark.parametrize(
    "kind, language, count",
    [
        (m.QuestionKind.NPS, m.Language.EN, 11),
        (m.QuestionKind.NPS, m.Language.ZH_HANS, 11),
        (m.QuestionKind.CSAT, m.Language.EN, 5),
        (m.QuestionKind.CES, m.Language.EN, 7),
    ],
)
def test_score_links_are_visible_and_tappable_at_375_px(page, kind, language, count):
    page.set_viewport_size(PHONE)
    page.set_content(_sent_html(kind, language))
    if kind == m.QuestionKind.NPS and language == m.Language.EN and os.environ.get("EMAIL_SCREENSHOT"):
        page.screenshot(path=os.environ["EMAIL_SCREENSHOT"], full_page=True)

    links = page.locator('a[href*="?score="]')
    assert links.count() == count
    for index in range(count):
        link = links.nth(index)
        assert link.is_visible()
        box = link.bounding_box()
        assert box["width"] >= 40 and box["height"] >= 40, (index, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (index, box)
    # Nothing forces the reader to scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator('a[href*="/u/"]').is_visible()
    assert page.locator('a[href$="/s/"], a[href*="/s/"]:not([href*="score"])').first.is_visible()
