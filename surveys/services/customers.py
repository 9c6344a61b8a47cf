"""Writes to customers: erasure of their personal data (docs/privacy.md)."""

from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import COMMENT, Answer, Customer, FollowUp, FollowUpEmail, Invitation, ScoreClick, Ticket
from .optout import invitations_cancel_pending
from .privacy import ERASED_ERROR, events_naming_customer, events_redact


@transaction.atomic
def customer_erase(*, customer: Customer) -> Customer:
    """Remove every piece of the customer's personal data that this product keeps.

    The customer row loses email, name and external id and gets ``erased_at``; their tickets
    lose their subjects; their free-text answers and the follow-up notes on their tickets are
    blanked, and so are the address, subject and text of the emails sent to them from those
    cases; the stored event payloads that name them are redacted (``payload_redact``); their
    invitations' error messages are replaced; admin log entries about the customer lose the
    address they quoted; the user agent and network kept as evidence with their one-click
    scores are cleared (the verdicts stay). Invitations still scheduled are cancelled. Rows, counts and scores
    all stay, so every report keeps its figures.

    Erasing an erased customer keeps the first ``erased_at`` and repeats only the clean-up
    (text an event may have brought in since). Returns the customer.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    emails, external_ids = [customer.email or ""], [customer.external_id]
    if customer.erased_at is None:
        customer.email = None
        customer.name = ""
        customer.external_id = ""
        customer.erased_at = timezone.now()
        customer.full_clean()
        customer.save(update_fields=["email", "name", "external_id", "erased_at"])
        invitations_cancel_pending(customer=customer, reason=ERASED_ERROR)
    Ticket.objects.filter(customer=customer).exclude(subject="").update(subject="")
    Answer.objects.filter(COMMENT, response__invitation__customer=customer).update(text="")
    FollowUp.objects.filter(ticket__customer=customer).exclude(notes="").update(notes="")
    FollowUpEmail.objects.filter(followup__ticket__customer=customer).exclude(
        to_email="", subject="", body=""
    ).update(to_email="", subject="", body="")
    Invitation.objects.filter(customer=customer).exclude(last_error__in=("", ERASED_ERROR)).update(
        last_error=ERASED_ERROR
    )
    ScoreClick.objects.filter(invitation__customer=customer).exclude(user_agent="", network="").update(
        user_agent="", network=""
    )
    events_redact(events_naming_customer(customer, emails, external_ids))
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer.pk)
    ).update(object_repr=str(customer), change_message="")
    return customer


@dataclass(frozen=True)
class ErasureCount:
    matched: int  # customers with this email or external id
    erased: int  # of which erased now (the others had been already)


def customers_erase(*, email: str = "", external_id: str = "") -> ErasureCount:
    """Erase every customer with this email (any case) or this helpdesk id (``customer_erase``).

    At least one of the two must be given. Idempotent: a second call matches nobody, since
    erased customers keep neither. Returns how many matched and were erased.
    """
    if not email and not external_id:
        raise ValueError("give an email or an external id")
    match = Q(pk__in=[])
    if email:
        match |= Q(email__iexact=email)
    if external_id:
        match |= Q(external_id=external_id)
    erased = 0
    customers = list(Customer.objects.filter(match).order_by("pk"))
    for customer in customers:
        if customer.erased_at is None:
            erased += 1
        customer_erase(customer=customer)
    return ErasureCount(matched=len(customers), erased=erased)
