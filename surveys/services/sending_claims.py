"""Claiming and settling invitations for sending (surveys.services.sending drives them).

The row is the lock: a claim moves due rows to ``sending`` in one transaction (row locks
skipped by other claims on PostgreSQL; SQLite's single writer serialises claims), and a settle
is a conditional UPDATE that only matches the claim it made, so a lease that moved the row on
wins over a late settle.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Campaign, Invitation, InvitationStatus, Response


def invitation_due(now) -> Q:
    """A first send that is due now: scheduled, its time come, its link not expired."""
    return Q(status=InvitationStatus.SCHEDULED, send_after__lte=now) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def claim_due(invitation_id: int, now, *, limit: int) -> list[int]:
    """Claim ``invitation_id`` if it is a due first send, and up to ``limit - 1`` other due
    first sends, oldest first, skipping rows another claim holds. Returns the claimed ids."""
    with transaction.atomic():
        due = Invitation.objects.filter(invitation_due(now))
        if connection.vendor == "postgresql":
            # SQLite has one writer at a time (and this transaction takes the write lock up
            # front), so only PostgreSQL needs row locks; skipped rows belong to another claim.
            due = due.select_for_update(skip_locked=True)
        ids = list(
            due.order_by(
                Case(When(pk=invitation_id, then=Value(0)), default=Value(1)), "send_after"
            ).values_list("pk", flat=True)[: max(limit, 1)]
        )
        if invitation_id not in ids:
            ids = ids[: max(limit - 1, 0)]  # "ours" was not due: the others only
        Invitation.objects.filter(pk__in=ids, status=InvitationStatus.SCHEDULED).update(
            status=InvitationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    return ids


def customer_blocks(invitation: Invitation, now) -> str:
    """Why this customer must not get the email now, or "" when they may."""
    customer = invitation.customer
    if customer.erased_at is not None or not customer.email:
        return "customer erased or without email"
    if customer.opted_out_at is not None:
        return "customer opted out"
    if customer.snoozed_until is not None and customer.snoozed_until > now:
        return "customer snoozed surveys"
    return ""


def reminder_time_came(
    *, status, reminders_sent, last_sent_at, reminder_after_hours, max_reminders, now
) -> bool:
    """Sent, in a campaign that reminds, with reminders left, and last sent long enough ago."""
    return (
        status == InvitationStatus.SENT
        and reminder_after_hours is not None
        and reminders_sent < max_reminders
        and last_sent_at is not None
        and last_sent_at + timedelta(hours=reminder_after_hours) <= now
    )


def reminder_due(invitation: Invitation, now) -> bool:
    campaign = invitation.campaign
    return (
        reminder_time_came(
            status=invitation.status,
            reminders_sent=invitation.reminders_sent,
            last_sent_at=invitation.last_sent_at,
            reminder_after_hours=campaign.reminder_after_hours,
            max_reminders=campaign.max_reminders,
            now=now,
        )
        and (invitation.attempts < settings.INVITATION_MAX_ATTEMPTS or not invitation.last_error)
        and not invitation.reminders_stopped
        # The ticket was reopened since: that survey is withdrawn (invitations_cancel_pending).
        and invitation.cycle == invitation.ticket.cycle
        and invitation.send_after <= now
        and (invitation.expires_at is None or invitation.expires_at > now)
        and not Response.objects.filter(invitation_id=invitation.pk).exists()
    )


@dataclass(frozen=True)
class InvitationState:
    status: str
    reminders_sent: int
    last_sent_at: object
    reminder_after_hours: int | None
    max_reminders: int
    backlog: bool  # some first send is due


def invitation_state(invitation_id: int, now) -> InvitationState | None:
    """The invitation's state and its campaign's reminder rule, and whether any first send is
    due at all: one query."""
    row = (
        Invitation.objects.filter(pk=invitation_id)
        .annotate(backlog=Exists(Invitation.objects.filter(invitation_due(now))))
        .values_list(
            "status",
            "reminders_sent",
            "last_sent_at",
            "campaign__reminder_after_hours",
            "campaign__max_reminders",
            "backlog",
        )  # fmt: skip
        .first()
    )
    return None if row is None else InvitationState(*row)


def reminder_may_be_due(state: InvitationState, now) -> bool:
    """What the state row alone can tell of ``reminder_due`` (the claim checks the rest)."""
    return reminder_time_came(
        status=state.status,
        reminders_sent=state.reminders_sent,
        last_sent_at=state.last_sent_at,
        reminder_after_hours=state.reminder_after_hours,
        max_reminders=state.max_reminders,
        now=now,
    )


# ``attempts`` counts the tries of the latest email and is kept once it went out (how many it
# took). A reminder's claim starts it afresh after a sent email (no ``last_error``) and adds
# one after a failed try of this same reminder.
NEXT_REMINDER_ATTEMPT = Case(When(last_error="", then=Value(1)), default=F("attempts") + 1)


def claim_reminder(invitation_id: int, now) -> Invitation | None:
    """Claim the invitation's next reminder if it is due. Returns the claimed invitation."""
    invitation = claimed_load([invitation_id]).get(invitation_id)
    if invitation is None or not reminder_due(invitation, now):
        return None
    # Compare-and-set on what we just read: a concurrent claim or answer changes one of these.
    won = Invitation.objects.filter(
        pk=invitation_id,
        status=InvitationStatus.SENT,
        reminders_sent=invitation.reminders_sent,
        last_sent_at=invitation.last_sent_at,
    ).update(status=InvitationStatus.SENDING, claimed_at=now, attempts=NEXT_REMINDER_ATTEMPT, updated_at=now)
    if not won:
        return None
    return claimed_load([invitation_id]).get(invitation_id)


# What rendering and settling an email read; the rest of the rows stays in the database.
LOAD_FIELDS = (
    *("id", "campaign_id", "ticket_id", "customer_id", "questionnaire_id", "token", "language", "status"),
    *("send_after", "claimed_at", "sent_at", "last_sent_at", "expires_at", "reminders_sent", "attempts"),
    *("reminders_stopped", "last_error", "cycle"),
    *("ticket__subject", "ticket__external_id", "ticket__reference", "ticket__cycle"),
    *("customer__name", "customer__email", "customer__opted_out_at", "customer__snoozed_until"),
    "customer__erased_at",
)


def claimed_load(ids: list[int]) -> dict[int, Invitation]:
    """The claimed invitations with their ticket and customer (one query) and their
    campaigns (one more), oldest first."""
    if not ids:
        return {}
    invitations = list(
        Invitation.objects.filter(pk__in=ids)
        .select_related("ticket", "customer")
        .only(*LOAD_FIELDS)
        .order_by("send_after", "pk")
    )
    campaigns = Campaign.objects.in_bulk({invitation.campaign_id for invitation in invitations})
    for invitation in invitations:
        invitation.campaign = campaigns[invitation.campaign_id]
    return {invitation.pk: invitation for invitation in invitations}


def settle(invitation: Invitation, **changes) -> bool:
    """Apply ``changes`` only if our claim still stands (the lease may have moved it on)."""
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.SENDING, claimed_at=invitation.claimed_at
        ).update(claimed_at=None, updated_at=timezone.now(), **changes)
    )


def settle_sent(invitation: Invitation, *, reminder: bool) -> bool:
    sent_now = timezone.now()
    if reminder:
        return settle(
            invitation,
            status=InvitationStatus.SENT,
            last_sent_at=sent_now,
            last_error="",
            reminders_sent=F("reminders_sent") + 1,
        )
    return settle(
        invitation,
        status=InvitationStatus.SENT,
        last_sent_at=sent_now,
        last_error="",
        sent_at=Coalesce("sent_at", Value(sent_now)),
        expires_at=Coalesce(
            "expires_at", Value(sent_now + timedelta(days=invitation.campaign.link_expiry_days))
        ),
    )
