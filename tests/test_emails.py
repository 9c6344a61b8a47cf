"""The invitation email: links, headers, language, escaping, and the message to send."""

from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.core.exceptions import ValidationError

from surveys import models as m
from surveys.emails import (
    email_template_validate,
    invitation_email_message,
    invitation_email_render,
    invitation_email_render_sample,
)
from tests.factories import (
    CampaignFactory,
    CustomerFactory,
    InvitationFactory,
    QuestionFactory,
    QuestionnaireFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

SITE = "https://surveys.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Surveys <surveys@example.com>"


def _invitation(kind=m.QuestionKind.NPS, language=m.Language.EN, **campaign_kwargs):
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=kind, order=1)
    campaign = CampaignFactory(questionnaire=questionnaire, **campaign_kwargs)
    customer = CustomerFactory(name="Dana", locale=language)
    ticket = TicketFactory(customer=customer, subject="Printer on fire", external_id="T-77")
    return InvitationFactory(campaign=campaign, ticket=ticket, language=language)


@pytest.mark.parametrize(
    ("kind", "scores"),
    [
        (m.QuestionKind.NPS, range(0, 11)),
        (m.QuestionKind.CSAT, range(1, 6)),
        (m.QuestionKind.CES, range(1, 8)),
        (m.QuestionKind.RATING, range(1, 6)),
    ],
)
def test_scale_question_becomes_one_link_per_score_carrying_the_token(kind, scores):
    invitation = _invitation(kind=kind)

    rendered = invitation_email_render(invitation=invitation)

    base = f"{SITE}/s/{invitation.token}/"
    for n in scores:
        assert f'href="{base}?score={n}"' in rendered["html"]
        assert f"{base}?score={n}" in rendered["text"]
    assert f"?score={scores[0] - 1}" not in rendered["html"]
    assert f"?score={scores[-1] + 1}\"" not in rendered["html"]
    assert f'href="{base}"' in rendered["html"]


def test_nps_scale_names_both_ends():
    rendered = invitation_email_render(invitation=_invitation(kind=m.QuestionKind.NPS))

    assert "Not at all likely" in rendered["html"]
    assert "Extremely likely" in rendered["html"]
    assert "0 (Not at all likely)" in rendered["text"]


def test_non_scale_first_question_gets_one_answer_button():
    invitation = _invitation(kind=m.QuestionKind.TEXT)

    rendered = invitation_email_render(invitation=invitation)

    assert "?score=" not in rendered["html"]
    assert "Answer the survey" in rendered["html"]
    assert f'href="{SITE}/s/{invitation.token}/"' in rendered["html"]


def test_unsubscribe_link_and_one_click_headers():
    invitation = _invitation()

    rendered = invitation_email_render(invitation=invitation)

    url = f"{SITE}/u/{invitation.token}/"
    assert rendered["headers"] == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert f'href="{url}"' in rendered["html"]
    assert url in rendered["text"]


def test_subject_and_body_templates_get_ticket_and_customer():
    invitation = _invitation(
        email_subject="About {{ ticket_id }}: {{ ticket_subject }}",
        email_body="Dear {{ customer_name }}, tell us about it.",
    )

    rendered = invitation_email_render(invitation=invitation)

    assert rendered["subject"] == "About T-77: Printer on fire"
    assert "Dear Dana, tell us about it." in rendered["text"]
    assert "Dear Dana, tell us about it." in rendered["html"]
    assert "Printer on fire" in rendered["html"]


def test_zh_hans_invitation_uses_the_chinese_subject_body_and_question():
    invitation = _invitation(
        language=m.Language.ZH_HANS,
        email_subject="How did we do?",
        email_subject_zh_hans="关于{{ ticket_subject }}的服务如何？",
        email_body="English body",
        email_body_zh_hans="{{ customer_name }}，您好！",
    )

    rendered = invitation_email_render(invitation=invitation)

    assert rendered["subject"] == "关于Printer on fire的服务如何？"
    assert "Dana，您好！" in rendered["text"]
    assert "English body" not in rendered["text"]
    assert "您向朋友或同事推荐我们的可能性有多大？" in rendered["html"]
    assert '<html lang="zh-hans">' in rendered["html"]


def test_zh_hans_falls_back_to_english_when_no_chinese_text():
    invitation = _invitation(language=m.Language.ZH_HANS, email_subject="Plain {{ ticket_id }}")

    assert invitation_email_render(invitation=invitation)["subject"] == "Plain T-77"


def test_customer_typed_values_are_escaped_in_html_but_not_in_text():
    invitation = _invitation(email_body="Hi {{ customer_name }}")
    invitation.customer.name = '<img src=x onerror="alert(1)">'
    invitation.ticket.subject = "<script>steal()</script>"

    rendered = invitation_email_render(invitation=invitation)

    assert "<img src=x" not in rendered["html"]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in rendered["html"]
    assert "<script>" not in rendered["html"]
    assert "&lt;script&gt;steal()&lt;/script&gt;" in rendered["html"]
    assert '<img src=x onerror="alert(1)">' in rendered["text"]


def test_subject_is_one_line_even_if_the_template_breaks_lines():
    invitation = _invitation(email_subject="Line one\n{{ ticket_subject }}")

    assert invitation_email_render(invitation=invitation)["subject"] == "Line one Printer on fire"


def test_campaign_templates_cannot_include_project_templates():
    with pytest.raises(ValidationError):
        email_template_validate('{% include "emails/invitation.html" %}')
    with pytest.raises(ValidationError, match="if"):
        email_template_validate("{% if %}broken{% endif %}")
    email_template_validate("Hello {{ customer_name|default:'there' }}")


def test_message_is_multipart_to_the_customer_from_the_campaign_sender():
    invitation = _invitation(sender_name="Acme Support", sender_email="care@acme.example")

    message = invitation_email_message(invitation=invitation)

    assert message.to == [invitation.customer.email]
    assert message.from_email == "Acme Support <care@acme.example>"
    assert message.subject == "How did we do with Printer on fire?"
    assert message.alternatives[0].mimetype == "text/html"
    assert "?score=10" in message.alternatives[0].content
    mime = message.message()
    assert mime["List-Unsubscribe"] == f"<{SITE}/u/{invitation.token}/>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_message_without_campaign_sender_uses_the_site_default():
    message = invitation_email_message(invitation=_invitation())

    assert message.from_email == "Surveys <surveys@example.com>"


def test_sender_name_alone_goes_with_the_site_address():
    message = invitation_email_message(invitation=_invitation(sender_name="Acme Support"))

    # The site's display name ("Surveys") gives way to the campaign's; the address stays.
    assert message.from_email == "Acme Support <surveys@example.com>"


def test_sender_name_alone_outside_ascii_is_encoded_with_the_site_address(settings):
    settings.DEFAULT_FROM_EMAIL = "noreply@acme.example"
    message = invitation_email_message(invitation=_invitation(sender_name="客服 Müller"))

    name, address = parseaddr(str(make_header(decode_header(message.message()["From"]))))
    assert (name, address) == ("客服 Müller", "noreply@acme.example")


def test_blank_sender_name_keeps_the_site_default():
    message = invitation_email_message(invitation=_invitation(sender_name="   "))

    assert message.from_email == "Surveys <surveys@example.com>"


def test_message_refuses_a_customer_without_address():
    invitation = _invitation()
    invitation.customer.email = None

    with pytest.raises(ValueError, match="no email"):
        invitation_email_message(invitation=invitation)


def test_sample_render_saves_nothing():
    campaign = CampaignFactory()
    QuestionFactory(questionnaire=campaign.questionnaire, kind=m.QuestionKind.CSAT)
    counts = (m.Customer.objects.count(), m.Ticket.objects.count(), m.Invitation.objects.count())

    rendered = invitation_email_render_sample(campaign=campaign, language=m.Language.EN)

    assert "?score=5" in rendered["html"]
    assert "I cannot sign in to my account" in rendered["subject"]
    assert (m.Customer.objects.count(), m.Ticket.objects.count(), m.Invitation.objects.count()) == counts
