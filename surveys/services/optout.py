"""Customers saying no: unsubscribe, snooze, and the invitations that must then not go out."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Customer, Invitation, InvitationStatus

SNOOZE_DAYS = 90


def invitations_cancel_pending(*, customer: Customer, reason: str) -> int:
    """Cancel the customer's ``scheduled`` invitations, noting ``reason``; returns how many.

    An invitation already claimed (``sending``) is stopped by the send itself, which checks
    the customer again after claiming; sent ones get no reminders (the reminder sweep and
    claim skip opted-out, snoozed and erased customers).
    """
    return Invitation.objects.filter(customer_id=customer.pk, status=InvitationStatus.SCHEDULED).update(
        status=InvitationStatus.CANCELLED, last_error=reason, claimed_at=None, updated_at=timezone.now()
    )


@transaction.atomic
def customer_opt_out(*, customer: Customer) -> Customer:
    """Opt the customer out of every survey, for good, and cancel what is still scheduled.

    Idempotent: a second call keeps the first ``opted_out_at``. Returns the customer.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.opted_out_at is None:
        customer.opted_out_at = timezone.now()
        customer.full_clean()
        customer.save(update_fields=["opted_out_at"])
    invitations_cancel_pending(customer=customer, reason="customer opted out")
    return customer


@transaction.atomic
def customer_snooze(*, customer: Customer, days: int = SNOOZE_DAYS) -> Customer:
    """No surveys for ``days`` days from now, and cancel what is still scheduled.

    Never shortens a longer snooze already in place. Returns the customer.
    """
    if days < 1:
        raise ValueError("a snooze lasts at least one day")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    until = timezone.now() + timedelta(days=days)
    if customer.snoozed_until is None or customer.snoozed_until < until:
        customer.snoozed_until = until
        customer.full_clean()
        customer.save(update_fields=["snoozed_until"])
    invitations_cancel_pending(customer=customer, reason="customer snoozed surveys")
    return customer
