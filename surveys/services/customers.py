"""Writes to customers."""

from django.db import transaction
from django.utils import timezone

from ..models import Customer, ScoreClick
from .optout import invitations_cancel_pending


@transaction.atomic
def customer_erase(*, customer: Customer) -> Customer:
    """Remove the customer's personal data (email, name, external id) and stamp ``erased_at``.

    The row stays, so tickets, invitations and responses that point at it keep their counts
    and scores. Invitations still scheduled are cancelled, and the user agent and network kept
    as evidence with the customer's one-click scores are cleared (verdicts stay). Erasing an already erased customer
    changes nothing. Returns the customer.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        return customer
    customer.email = None
    customer.name = ""
    customer.external_id = ""
    customer.erased_at = timezone.now()
    customer.full_clean()
    customer.save(update_fields=["email", "name", "external_id", "erased_at"])
    invitations_cancel_pending(customer=customer, reason="customer erased")
    ScoreClick.objects.filter(invitation__customer=customer).update(user_agent="", network="")
    return customer
