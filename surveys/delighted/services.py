"""Writes behind the Delighted-compatible API, each through the product's own services."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..ingest.schema import PayloadInvalid, locale_normalise
from ..models import Campaign, CampaignTrigger, Customer, InvitationStatus
from ..services.customers import customer_erase
from ..services.invitations import SurveyRequest
from ..services.optout import customer_opt_out, invitations_cancel_pending
from ..services.tickets import ticket_event_record
from .http import Refused, invalid
from .mapping import field_name, ticket_event_payload

PENDING_DELETED = "survey request deleted through the Delighted API"


@dataclass(frozen=True)
class PersonSurveyed:
    customer: Customer
    # The invitation's send time when one was scheduled; None when suppressed or not asked.
    scheduled_at: datetime | None


def campaign_chosen(value) -> Campaign:
    """``properties[campaign]``: an active, running ticket-closed campaign by id, else by name
    (any case)."""
    text = str(value).strip()
    now = timezone.now()
    active = Campaign.objects.filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now),
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        is_active=True,
        trigger=CampaignTrigger.TICKET_CLOSED,
    )
    found = None
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        found = active.filter(pk=int(text)).first()
    if found is None and text:
        found = active.filter(name__iexact=text).order_by("priority", "pk").first()
    if found is None:
        raise invalid("properties[campaign]", "is not the id or name of an active campaign")
    return found


def ticket_event_submit(
    *, payload: dict, survey: SurveyRequest | None = None, create_invitations: bool = True
):
    """The one place the Delighted API and importer hand a ticket event to the product's
    ingestion (``ticket_event_record``); raises its ``PayloadInvalid``."""
    return ticket_event_record(payload=payload, survey=survey, create_invitations=create_invitations)


def person_survey(
    *, email: str, name: str | None, properties: dict, delay: int | None, now: datetime | None = None
) -> PersonSurveyed:
    """Survey a person as a ticket closed now (``people.json`` with ``send`` true).

    The campaign is ``properties[campaign]`` when given, else the campaigns matching the ticket
    as for any close; ``delay`` (seconds) replaces the campaign's delay. Opt-out, snooze,
    throttle, sampling, daily cap and open complaints apply as for any close; a suppressed
    survey is kept with its reason and answers ``scheduled_at`` None, as Delighted answers a
    throttled person. Raises ``Refused`` (422) naming each refused field.
    """
    now = now or timezone.now()
    campaign = (
        campaign_chosen(properties["campaign"]) if properties.get("campaign") not in (None, "") else None
    )
    survey = SurveyRequest(campaign=campaign, delay=None if delay is None else timedelta(seconds=delay))
    payload = ticket_event_payload(email=email, name=name, properties=properties, now=now)
    # Stored with the event, so whoever applies it later can rebuild the request.
    payload["delighted"]["survey"] = {
        "campaign_id": campaign.pk if campaign else None,
        "delay_seconds": delay,
    }
    try:
        recorded = ticket_event_submit(payload=payload, survey=survey)
    except PayloadInvalid as exc:
        raise Refused(422, {field_name(path): messages for path, messages in exc.errors.items()}) from exc
    scheduled = [i for i in recorded.invitations if i.status == InvitationStatus.SCHEDULED]
    customer = recorded.ticket.customer if recorded.ticket else customer_by_email(email)
    return PersonSurveyed(customer=customer, scheduled_at=scheduled[0].send_after if scheduled else None)


def customer_by_email(email: str) -> Customer | None:
    return Customer.objects.filter(email__iexact=email).first()


def person_upsert(*, email: str, name: str | None, locale: str | None) -> Customer:
    """The person without a survey (``send`` false): found by email (any case) or created;
    a given name or locale is written."""
    for _attempt in range(2):
        customer = customer_by_email(email)
        try:
            with transaction.atomic():
                if customer is None:
                    customer = Customer(email=email)
                changed = customer.pk is None
                if name is not None and customer.name != name:
                    customer.name, changed = name, True
                language = locale_normalise(locale)
                if language is not None and customer.locale != language:
                    customer.locale, changed = language, True
                if changed:
                    customer.full_clean()
                    customer.save()
                return customer
        except IntegrityError:
            continue  # created concurrently under another case of the address: read it again
    raise Refused(503, message="Try again later.")


def person_unsubscribe(*, email: str) -> Customer:
    """Delighted's unsubscribe: the product's opt-out (``customer_opt_out``), creating the
    customer when the address is new so the opt-out holds for their first ticket too."""
    customer = person_upsert(email=email, name=None, locale=None)
    return customer_opt_out(customer=customer)


def person_find(identifier: str) -> Customer | None:
    """``24248363`` (an id), ``email:jony@example.com``; erased customers are not found."""
    kind, sep, value = identifier.partition(":")
    live = Customer.objects.filter(erased_at__isnull=True)
    if not sep:
        text = identifier.removesuffix(".json")
        if not (text.isascii() and text.isdigit() and int(text) < 2**63):
            return None
        return live.filter(pk=int(text)).first()
    if kind == "email" and value:
        return live.filter(email__iexact=value).first()
    if kind == "phone_number":
        raise invalid("phone_number", "is not supported: surveys here go by email only")
    return None


def person_erase(*, customer: Customer) -> Customer:
    """Delighted's delete: the product's erasure (``customer_erase``) — personal data blanked
    everywhere, scores and counts kept (docs/privacy.md)."""
    return customer_erase(customer=customer)


def person_pending_delete(*, customer: Customer) -> int:
    """Delighted's ``DELETE people/<email>/survey_requests/pending``: cancel the person's
    scheduled invitations; returns how many."""
    return invitations_cancel_pending(customer=customer, reason=PENDING_DELETED)
