"""The invitation templates are rendered once per variant and filled in per email; the result
must be exactly what a plain render of the same page gives, for every variant."""

import itertools

import pytest
from django.template.loader import render_to_string

from surveys import emails
from surveys import models as m
from tests.factories import (
    CampaignFactory,
    CustomerFactory,
    InvitationFactory,
    QuestionFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def _plain_render(template_name, page, *, html):
    return render_to_string(template_name, {**page, "scale": emails._scale(page["kind"], page["survey_url"])})


def _both(invitation, *, reminder, question, monkeypatch):
    filled = emails.invitation_email_render(invitation=invitation, reminder=reminder, question=question)
    with monkeypatch.context() as patch:
        patch.setattr(emails, "_page_render", _plain_render)
        plain = emails.invitation_email_render(invitation=invitation, reminder=reminder, question=question)
    return filled, plain


@pytest.mark.parametrize("kind", [*m.QuestionKind.values, None])
@pytest.mark.parametrize("language", m.Language.values)
def test_filled_skeleton_equals_a_plain_render(kind, language, monkeypatch, settings):
    settings.SITE_URL = "https://surveys.example.com"
    question = QuestionFactory(kind=kind) if kind else None
    if question:
        question.text_zh_hans = "您觉得怎么样？"
    campaign = CampaignFactory(email_body="One click <b>tells</b> us.\n\nThanks & bye.")
    for reminder, named, greet, nasty in itertools.product([False, True], repeat=4):
        customer = CustomerFactory(name=('Dana "<b>" & Co' if nasty else "Dana") if named else "")
        subject = "<script>x()</script> & 'quotes'" if nasty else "Printer on fire"
        campaign.email_body = "Dear {{ customer_name }}," if not greet else "One click <b>tells</b> us."
        invitation = InvitationFactory.build(
            campaign=campaign,
            ticket=TicketFactory(customer=customer, subject=subject),
            customer=customer,
            language=language,
            token=f"tok-{reminder:d}{named:d}{greet:d}{nasty:d}",
        )

        filled, plain = _both(invitation, reminder=reminder, question=question, monkeypatch=monkeypatch)

        assert filled == plain, (reminder, named, greet, nasty)
        assert "\ue000" not in filled["html"] + filled["text"]


def test_question_is_looked_up_when_not_given(monkeypatch):
    invitation = InvitationFactory()
    QuestionFactory(questionnaire=invitation.questionnaire, kind=m.QuestionKind.CSAT, order=1)

    rendered = emails.invitation_email_render(invitation=invitation)

    assert "?score=5" in rendered["html"] and "?score=6" not in rendered["html"]


def test_no_line_of_the_html_needs_quoted_printable():
    """An SMTP line holds 998 bytes; a longer one makes the whole part quoted-printable."""
    invitation = InvitationFactory(language=m.Language.ZH_HANS)
    question = QuestionFactory(questionnaire=invitation.questionnaire, kind=m.QuestionKind.NPS, order=1)

    html = emails.invitation_email_render(invitation=invitation, question=question)["html"]

    assert max(len(line.encode()) for line in html.splitlines()) <= 998
