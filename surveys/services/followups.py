"""Writes to follow-up cases (closing the loop with unhappy customers; docs/follow-ups.md)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    FollowUp,
    FollowUpOutcome,
    FollowUpReason,
    FollowUpStatus,
    Invitation,
    InvitationStatus,
    OutboundEvent,
    Response,
    WebhookSubscription,
)
from .outbound import outbound_event


def followup_open(
    *,
    response: Response,
    ticket_id: int,
    reason: str,
    now: datetime | None = None,
    subscriptions: list[WebhookSubscription] | None = None,
) -> FollowUp:
    """Open the case for a detractor or complaint response (on the ticket its invitation is
    for), due ``FOLLOWUP_DUE_HOURS`` later.

    The caller decides that the response needs one (``response_submit``); a second case for
    the same response is refused by the database (IntegrityError). ``subscriptions``: the
    active outbound subscriptions, when the caller has read them. Returns the case.
    """
    now = now or timezone.now()
    if reason not in FollowUpReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    followup = FollowUp.objects.create(
        response=response,
        ticket_id=ticket_id,
        reason=reason,
        due_at=now + timedelta(hours=settings.FOLLOWUP_DUE_HOURS),
    )
    outbound_event(kind=OutboundEvent.FOLLOWUP_OPENED, obj=followup, subscriptions=subscriptions)
    return followup


@transaction.atomic
def followup_update(
    *,
    followup: FollowUp,
    status: str,
    owner: AbstractBaseUser | None,
    notes: str,
    outcome: str = "",
) -> FollowUp:
    """Set a case's status, owner, notes and outcome, keeping ``closed_at`` and ``outcome``
    in step with the status (the admin's form goes through here).

    Closing stamps ``closed_at`` (once: saving a closed case again keeps the first time) and
    needs an outcome; reopening clears both. Raises ValidationError for an unknown status or
    outcome, or a close without an outcome. Returns the case.
    """
    followup.status = status
    followup.owner = owner
    followup.notes = notes
    if status == FollowUpStatus.CLOSED:
        if not outcome:
            raise ValidationError({"outcome": _("Choose how the case ended.")})
        closing = followup.closed_at is None
        followup.closed_at = followup.closed_at or timezone.now()
        followup.outcome = outcome
    else:
        closing = False
        followup.closed_at = None
        followup.outcome = ""
    followup.full_clean()
    followup.save()
    if closing:
        outbound_event(kind=OutboundEvent.FOLLOWUP_CLOSED, obj=followup)
    return followup


def followup_assign(*, followup: FollowUp, owner: AbstractBaseUser | None) -> FollowUp:
    """Give the case to ``owner`` (None: nobody). Any status; returns the case."""
    followup.owner = owner
    followup.save(update_fields=["owner", "updated_at"])
    return followup


def followup_notes_set(*, followup: FollowUp, notes: str) -> FollowUp:
    """Replace the case's notes (staff-only text, blanked on erasure). Returns the case."""
    followup.notes = notes
    followup.full_clean()
    followup.save(update_fields=["notes", "updated_at"])
    return followup


def followup_contact_record(*, followup: FollowUp, at: datetime | None = None) -> bool:
    """Record that the customer was contacted (an email from the case, or a call recorded by
    hand): an open case moves to in progress, and ``first_contact_at`` is stamped once.

    A conditional UPDATE, so two contacts at once keep the earlier-written time. Returns True
    when this was the first contact. A closed case is left as it is (returns False).
    """
    at = at or timezone.now()
    FollowUp.objects.filter(pk=followup.pk, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.IN_PROGRESS, updated_at=at
    )
    first = bool(
        FollowUp.objects.filter(pk=followup.pk, first_contact_at__isnull=True)
        .exclude(status=FollowUpStatus.CLOSED)
        .update(first_contact_at=at, updated_at=at)
    )
    followup.refresh_from_db(fields=["status", "first_contact_at", "updated_at"])
    return first


@transaction.atomic
def followup_close(
    *, followup: FollowUp, outcome: str, resurvey: bool = False, now: datetime | None = None
) -> FollowUp:
    """Close the case with its outcome, and optionally schedule the re-survey.

    Raises ValidationError for an unknown outcome, for a case already closed, and for a
    re-survey the customer cannot get (no address, opted out, erased). The re-survey is a
    new Invitation of the same campaign, ticket and questionnaire version, in the language
    of the first, due now (the sending sweep sends it). Returns the case.
    """
    now = now or timezone.now()
    followup = (
        FollowUp.objects.select_for_update()
        .select_related("response__invitation__customer")
        .get(pk=followup.pk)
    )
    if outcome not in FollowUpOutcome.values:
        raise ValidationError({"outcome": _("Choose how the case ended.")})
    if followup.status == FollowUpStatus.CLOSED:
        raise ValidationError(_("This case is already closed."))
    followup.status = FollowUpStatus.CLOSED
    followup.outcome = outcome
    followup.closed_at = now
    followup.full_clean()
    followup.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
    outbound_event(kind=OutboundEvent.FOLLOWUP_CLOSED, obj=followup)
    if resurvey:
        followup_resurvey(followup=followup, now=now)
    return followup


def followup_reopen(*, followup: FollowUp) -> FollowUp:
    """Reopen a closed case (in progress, no outcome). A re-survey already sent stays."""
    return followup_update(
        followup=followup, status=FollowUpStatus.IN_PROGRESS, owner=followup.owner, notes=followup.notes
    )


def followup_resurvey(*, followup: FollowUp, now: datetime | None = None) -> Invitation:
    """Schedule the re-survey of a closed case: one per case (database-unique).

    Raises ValidationError when the case is not closed, already has one, or its customer
    cannot be surveyed (no address, opted out or erased). Returns the new invitation; the
    beat's sending sweep sends it (its send_after is now).
    """
    now = now or timezone.now()
    first = followup.response.invitation
    customer = first.customer
    if followup.status != FollowUpStatus.CLOSED:
        raise ValidationError(_("Close the case before the re-survey."))
    if Invitation.objects.filter(resurvey_of=followup).exists():
        raise ValidationError(_("This case already has a re-survey."))
    if not customer.email or customer.opted_out_at or customer.erased_at:
        raise ValidationError(_("This customer cannot be surveyed again (no address, or opted out)."))
    invitation = Invitation(
        campaign_id=first.campaign_id,
        ticket_id=first.ticket_id,
        customer=customer,
        questionnaire_id=first.questionnaire_id,
        cycle=first.cycle,
        language=first.language,
        status=InvitationStatus.SCHEDULED,
        send_after=now,
        resurvey_of=followup,
    )
    invitation.full_clean()
    invitation.save()
    return invitation
