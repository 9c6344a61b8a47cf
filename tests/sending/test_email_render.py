"""The invitation email rendered by Django's templates for every variant: customer-typed values
escaped in the HTML, the score links of each scale."""


import pytest

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


@pytest.mark.parametrize("kind", [*m.QuestionKind.values, None])
@pytest.mark.parametrize("language", m.Language.values)
def test_every_variant_renders_with_the_customer_values_escaped_in_html_only(kind, language, settings):
    settings.SITE_URL = "https://surveys.example.com"
    question = QuestionFactory(kind=kind) if kind else None
    nasty = 'O\'Brien <b>&</b> "quoted"'
    customer = CustomerFactory(name=nasty)
    ticket = TicketFactory(customer=customer, subject=nasty)
    invitation = InvitationFactory(
        ticket=ticket, customer=customer, language=language, campaign=CampaignFactory()
    )
    for reminder in (False, True):
        rendered = emails.invitation_email_render(invitation=invitation, reminder=reminder, question=question)
        assert nasty not in rendered["html"] and "O&#x27;Brien &lt;b&gt;&amp;&lt;/b&gt;" in rendered["html"]
        assert "<b>&</b>" not in rendered["html"]
        assert invitation.token in rendered["html"] and invitation.token in rendered["text"]
        if kind in m.SCALE_KINDS:
            low, high = m.SCALE_RANGES[kind]
            assert f"?score={low}" in rendered["html"] and f"?score={high}" in rendered["html"]


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
