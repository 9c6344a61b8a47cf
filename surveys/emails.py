"""The invitation email: subject, text and HTML bodies, headers, and the message to send.

Nothing here sends mail; the sending pipeline calls ``invitation_email_message`` and hands
the message to a connection outside any transaction.
"""

import re
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .models import (
    SCALE_KINDS,
    SCALE_RANGES,
    Campaign,
    Customer,
    Invitation,
    Language,
    Question,
    QuestionKind,
    Ticket,
)
from .scale_meanings import score_name
from .selectors_brand import BrandView, brand_current

# Campaign subjects and bodies are typed by staff in the admin. They get a private engine
# with no template directories and no tag libraries beyond the built-ins, so a template
# cannot {% include %} or {% extends %} a project file, nor {% load %} anything.
_CAMPAIGN_ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, debug=False)

# Labels for the two ends of each one-click scale, under the row of scores.
_SCALE_ENDS = {
    QuestionKind.NPS: (_("Not at all likely"), _("Extremely likely")),
    QuestionKind.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
    QuestionKind.CES: (_("Very difficult"), _("Very easy")),
    QuestionKind.RATING: (_("Poor"), _("Excellent")),
}

SAMPLE_TOKEN = "sample-preview-token"  # noqa: S105 - a placeholder, never a real credential


def survey_url(token: str) -> str:
    return f"{settings.SITE_URL}/s/{token}/"


def unsubscribe_url(token: str) -> str:
    return f"{settings.SITE_URL}/u/{token}/"


def _template_context(*, customer: Customer, ticket: Ticket) -> dict:
    return {
        "customer_name": customer.name,
        "ticket_subject": ticket.subject,
        "ticket_id": ticket.label,
    }


@lru_cache(maxsize=256)
def _campaign_template(source: str):
    # Keyed by the text itself, so an edited campaign simply compiles anew; a worker sending
    # thousands of one campaign's emails parses its subject and body once.
    return _CAMPAIGN_ENGINE.from_string(source)


def _render_campaign_text(source: str, context: dict, *, autoescape: bool) -> str:
    return _campaign_template(source).render(Context(context, autoescape=autoescape))


def email_template_validate(source: str) -> None:
    """Raise ValidationError (with the template engine's message) if ``source`` fails to render.

    Used by the campaign admin form so a broken subject or body is refused on save, not
    discovered by the worker when the first invitation goes out.
    """
    sample = {"customer_name": "Alex", "ticket_subject": "Sample", "ticket_id": "SAMPLE-1"}
    try:
        _render_campaign_text(source, sample, autoescape=True)
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise ValidationError(
            _("This template has an error: %(error)s"), code="template_syntax", params={"error": exc}
        ) from exc


def invitation_first_question(invitation: Invitation) -> Question | None:
    """The question the email asks: the first of the invitation's questionnaire (one query)."""
    return (
        Question.objects.filter(questionnaire_id=invitation.questionnaire_id).order_by("order", "id").first()
    )


def _scale(kind: str | None, base_url: str) -> dict | None:
    if kind not in SCALE_KINDS:
        return None
    low, high = SCALE_RANGES[kind]
    low_label, high_label = _SCALE_ENDS[kind]
    return {
        "kind": kind,
        # Each link is named by its meaning ("9 – Very likely"), not a bare number.
        "scores": [
            {"value": n, "url": f"{base_url}?score={n}", "name": score_name(kind, n)}
            for n in range(low, high + 1)
        ],
        "low": low,
        "high": high,
        "low_label": low_label,
        "high_label": high_label,
        "is_stars": kind == QuestionKind.RATING,
    }


@dataclass(frozen=True)
class EmailBrand:
    """The brand as the invitation email shows it: light colours only (the email declares
    ``color-scheme: light``), the logo by its absolute URL at most 48 px tall and 240 wide."""

    name: str = ""
    logo_url: str = ""
    logo_width: int = 0
    logo_height: int = 0
    accent: str = "#1d4ed8"
    border: str = "#2563eb"
    soft: str = "#eff6ff"
    fill: str = "#1d4ed8"
    on_fill: str = "#ffffff"


def email_brand(view: BrandView) -> EmailBrand:
    fields = {"name": view.name}
    if view.logo_path and view.logo_width and view.logo_height:
        scale = min(48 / view.logo_height, 240 / view.logo_width, 1)
        fields.update(
            logo_url=view.logo_url,
            logo_width=max(1, round(view.logo_width * scale)),
            logo_height=max(1, round(view.logo_height * scale)),
        )
    if view.colours:
        light = view.colours.light
        fields.update(accent=light.accent, border=light.accent, soft=light.soft, fill=light.fill, on_fill=light.on_fill)
    return EmailBrand(**fields)


# --- The project templates, rendered once per variant ----------------------------------------
# emails/invitation.{txt,html} differ between two recipients only in the values below. Each
# variant of a template (language, reminder, greeting, question…) is rendered once with a
# placeholder in each of those values; an email then fills in its own values in one pass,
# escaped for HTML as the template would have escaped them. This takes the template engine out
# of the cost of each email (bench/bench_dispatch.py); tests/sending/test_email_render.py holds
# the result equal to a plain render. The templates must use these values as they are: no
# filters on them, and no conditions on them but the ones _skeleton is keyed by.
_PER_EMAIL = (
    "subject",
    "body_text",
    "body_html",
    "customer_name",
    "ticket_subject",
    "ticket_id",
    "survey_url",
    "unsubscribe_url",
)
_SLOT = "\ue000{}\ue001"  # private-use characters: in no template, translation or escape
_SLOT_RE = re.compile("\ue000([a-z_]+)\ue001")


@lru_cache(maxsize=128)
def _skeleton(
    template_name: str,
    language: str,
    reminder: bool,
    greet: bool,
    named: bool,
    question_text: str,
    kind: str | None,
    brand: EmailBrand,
) -> str:
    page = {name: _SLOT.format(name) for name in _PER_EMAIL}
    page.update(
        brand=brand,
        language=language,
        reminder=reminder,
        greet=greet,
        customer_name=page["customer_name"] if named else "",
        question_text=question_text,
        scale=_scale(kind, page["survey_url"]),
    )
    with translation.override(language):
        return get_template(template_name).render(page)


@receiver(file_changed, dispatch_uid="surveys.emails.skeletons")
def _templates_changed(sender, file_path, **kwargs) -> None:
    # runserver's autoreloader reloads changed templates without a restart; so must we.
    _skeleton.cache_clear()


def _page_render(template_name: str, page: dict, *, html: bool) -> str:
    skeleton = _skeleton(
        template_name,
        page["language"],
        page["reminder"],
        page["greet"],
        bool(page["customer_name"]),
        page["question_text"],
        page["kind"],
        page["brand"],
    )
    escape = conditional_escape if html else str
    values = {name: escape(page[name]) for name in _PER_EMAIL}
    return _SLOT_RE.sub(lambda match: values[match[1]], skeleton)


_LOOK_UP = object()


def invitation_email_render(
    *, invitation: Invitation, reminder: bool = False, question=_LOOK_UP, brand: BrandView | None = None
) -> dict:
    """Render the invitation email in the invitation's language.

    ``reminder`` renders the reminder variant: the subject is prefixed and a line says the
    survey is still open. Returns ``{"subject", "text", "html", "headers"}``. Works for saved and unsaved
    invitations alike (the admin preview passes an in-memory one); the only query is the
    first question of the invitation's questionnaire, none when the caller passes it as
    ``question`` (``invitation_first_question``, or None). Customer-typed values (the name, the
    ticket subject) are escaped in the HTML body. The organisation's brand (name, logo,
    colour) is ``brand`` or, without it, ``brand_current()`` (a cache read).
    """
    campaign = invitation.campaign
    language = invitation.language or Language.EN
    context = _template_context(customer=invitation.customer, ticket=invitation.ticket)
    with translation.override(language):
        subject_source = campaign.tr("email_subject", language)
        body_source = campaign.tr("email_body", language)
        # A header must be one line: collapse whatever whitespace the template produced.
        subject = " ".join(_render_campaign_text(subject_source, context, autoescape=False).split())
        if reminder:
            subject = str(_("Reminder: %(subject)s") % {"subject": subject})
        body_text = _render_campaign_text(body_source, context, autoescape=False).strip()
        # autoescape=True escapes the variables; linebreaks keeps the staff's paragraphs.
        body_html = mark_safe(  # noqa: S308 - variables were escaped by the autoescaping render
            linebreaks(_render_campaign_text(body_source, context, autoescape=True).strip(), autoescape=False)
        )
        if question is _LOOK_UP:
            question = invitation_first_question(invitation)
        kind = question.kind if question is not None else None
        page = {
            "language": language,
            "reminder": reminder,
            # A campaign text that already addresses the customer by name is its own greeting.
            "greet": "customer_name" not in body_source,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "customer_name": invitation.customer.name,
            "ticket_subject": invitation.ticket.subject,
            "ticket_id": invitation.ticket.label,
            "question_text": question.tr("text", language) if question else "",
            "kind": kind if kind in SCALE_KINDS else None,
            "survey_url": survey_url(invitation.token),
            "unsubscribe_url": unsubscribe_url(invitation.token),
            "brand": email_brand(brand if brand is not None else brand_current()),
        }
        text = _page_render("emails/invitation.txt", page, html=False)
        html = _page_render("emails/invitation.html", page, html=True)
    headers = {
        "List-Unsubscribe": f"<{page['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return {"subject": subject, "text": text, "html": html, "headers": headers}


def sample_invitation_build(*, campaign: Campaign, language: str) -> Invitation:
    """An in-memory invitation for a made-up ticket and customer; nothing is saved."""
    with translation.override(language):
        customer = Customer(name=str(_("Alex Sample")), email="alex@example.com", locale=language)
        ticket = Ticket(
            source="sample",
            external_id="SAMPLE-1042",
            customer=customer,
            subject=str(_("I cannot sign in to my account")),
        )
    return Invitation(
        campaign=campaign,
        ticket=ticket,
        customer=customer,
        questionnaire_id=campaign.questionnaire_id,
        token=SAMPLE_TOKEN,
        language=language,
    )


def invitation_email_render_sample(*, campaign: Campaign, language: str) -> dict:
    """Render ``campaign``'s email for a sample ticket (the admin preview). Saves nothing."""
    return invitation_email_render(invitation=sample_invitation_build(campaign=campaign, language=language))


def campaign_sender(campaign: Campaign) -> str:
    """The From of ``campaign``'s emails to customers: its sender name and email; with only a
    name, that name and DEFAULT_FROM_EMAIL's address (its display name replaced); with neither,
    DEFAULT_FROM_EMAIL as it is."""
    if campaign.sender_email:
        return formataddr((campaign.sender_name, campaign.sender_email))
    if campaign.sender_name.strip():
        return formataddr((campaign.sender_name.strip(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    return settings.DEFAULT_FROM_EMAIL


def invitation_email_message(
    *, invitation: Invitation, reminder: bool = False, question=_LOOK_UP, brand: BrandView | None = None
) -> EmailMultiAlternatives:
    """The invitation (or, with ``reminder``, its reminder) as a multipart (text + HTML)
    message to the customer, ready to send; ``question`` and ``brand`` as for
    ``invitation_email_render``.

    The sender is ``campaign_sender()``'s. Raises ValueError when the
    customer has no email address (opted-out checks happen earlier, in the pipeline).
    """
    if not invitation.customer.email:
        raise ValueError("the customer has no email address")
    rendered = invitation_email_render(invitation=invitation, reminder=reminder, question=question, brand=brand)
    message = EmailMultiAlternatives(
        subject=rendered["subject"],
        body=rendered["text"],
        from_email=campaign_sender(invitation.campaign),
        to=[invitation.customer.email],
        headers=rendered["headers"],
    )
    message.attach_alternative(rendered["html"], "text/html")
    return message
