"""Changes to a ticket that are not ticket events: the helpdesk removed it, its agent chose not
to contact the customer, or an agent's helpdesk login is known. Used by the helpdesk
integrations; plain writes, each in its own small transaction."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Agent, Invitation, InvitationStatus, SuppressionReason, Ticket, TicketStatus


def ticket_remove(*, source: str, external_id: str, now: datetime | None = None) -> bool:
    """The helpdesk deleted the ticket, or merged it into another: mark our copy REMOVED, clear
    its resolution and closing times so it leaves every service-level figure (reports count
    tickets by those times), and cancel its invitations that have not started sending. Answers
    already given stay. Idempotent. Returns whether a ticket was changed."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update()
            .filter(source=source, external_id=external_id)
            .exclude(status=TicketStatus.REMOVED)
            .first()
        )
        if ticket is None:
            return False
        Invitation.objects.filter(ticket=ticket, status=InvitationStatus.SCHEDULED).update(
            status=InvitationStatus.CANCELLED, updated_at=now
        )
        ticket.status = TicketStatus.REMOVED
        ticket.resolved_at = ticket.closed_at = None
        # updated_at moves, so the report rollups recompute the days the ticket leaves.
        ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
    return True


def invitations_suppress_not_contacted(*, source: str, external_id: str, now: datetime | None = None) -> int:
    """The agent closed the ticket choosing not to e-mail the customer: suppress the invitations
    of its current cycle that have not started sending, with the reason NOT_CONTACTED. One that
    a worker already claimed is left to go. Returns how many were suppressed."""
    now = now or timezone.now()
    ticket = Ticket.objects.filter(source=source, external_id=external_id).values("pk", "cycle").first()
    if ticket is None:
        return 0
    return Invitation.objects.filter(
        ticket_id=ticket["pk"], cycle=ticket["cycle"], status=InvitationStatus.SCHEDULED
    ).update(
        status=InvitationStatus.SUPPRESSED, suppression_reason=SuppressionReason.NOT_CONTACTED, updated_at=now
    )


def agent_user_link(*, external_id: str, user_id: int) -> bool:
    """Give the agent with this helpdesk id the login ``user_id``, so that person reads their own
    scores. Never replaces a link an administrator made, and never takes a login another agent
    already has (Agent.user is one-to-one). Returns whether the link was made."""
    if Agent.objects.filter(user_id=user_id).exists():
        return False
    try:
        with transaction.atomic():
            linked = (
                Agent.objects.filter(external_id=external_id, user__isnull=True)
                .exclude(external_id="")
                .update(user_id=user_id)
            )
    except IntegrityError:  # another agent took the login meanwhile
        return False
    return bool(linked)
