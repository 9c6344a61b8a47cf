"""Invitations for closed tickets, decided the way the campaign's eligibility rules would."""

from collections import defaultdict
from datetime import datetime, timedelta

from surveys.models import Campaign, Invitation, InvitationStatus, SuppressionReason, Ticket, TicketStatus

from .constants import rng_for

FAILURE = "550 5.1.1 Recipient address rejected: mailbox does not exist"


def _open_complaint(ticket: Ticket, complaints: list[Ticket]) -> bool:
    """Another complaint ticket of this customer was open when this one closed."""
    return any(
        other.pk != ticket.pk
        and other.opened_at <= ticket.closed_at
        and (other.closed_at is None or other.closed_at > ticket.closed_at)
        for other in complaints
    )


def invitations_build(*, tickets: list[Ticket], campaign: Campaign, now: datetime) -> list[Invitation]:
    """One invitation per closed ticket, unsaved: scheduled, sent, failed or suppressed.

    Sent ones are later marked answered, expired or left sent by the responses module.
    Checks run in closing order, so "surveyed in the last N days" sees earlier sends only.
    """
    rng = rng_for("invitations")
    complaints = defaultdict(list)
    for ticket in tickets:
        if ticket.is_complaint:
            complaints[ticket.customer_id].append(ticket)
    last_surveyed: dict[int, datetime] = {}
    throttle = timedelta(days=campaign.throttle_days)
    closed = sorted(
        (t for t in tickets if t.status == TicketStatus.CLOSED), key=lambda t: (t.closed_at, t.external_id)
    )
    invitations = []
    for ticket in closed:
        customer = ticket.customer
        send_after = ticket.closed_at + timedelta(minutes=campaign.delay_minutes)
        invitation = Invitation(
            campaign=campaign,
            ticket=ticket,
            customer=customer,
            questionnaire=campaign.questionnaire,
            cycle=ticket.cycle,
            language=customer.locale,
            send_after=send_after,
        )
        previous = last_surveyed.get(customer.pk)
        if customer.opted_out_at and customer.opted_out_at <= ticket.closed_at:
            reason = SuppressionReason.OPTED_OUT
        elif previous is not None and send_after - previous < throttle:
            reason = SuppressionReason.THROTTLED
        elif _open_complaint(ticket, complaints[customer.pk]):
            reason = SuppressionReason.COMPLAINT_OPEN
        else:
            reason = ""
        if reason:
            invitation.status, invitation.suppression_reason = InvitationStatus.SUPPRESSED, reason
        elif send_after > now:
            invitation.status = InvitationStatus.SCHEDULED
            last_surveyed[customer.pk] = send_after
        elif rng.random() < 0.01:
            # A permanent SMTP error: no retry, the reason kept on the row.
            invitation.status, invitation.last_error = InvitationStatus.FAILED, FAILURE
            invitation.attempts = 1
            invitation.claimed_at = send_after + timedelta(seconds=rng.randint(1, 60))
        else:
            sent_at = send_after + timedelta(seconds=rng.randint(1, 60))
            invitation.status, invitation.attempts = InvitationStatus.SENT, 1
            invitation.claimed_at = invitation.sent_at = invitation.last_sent_at = sent_at
            invitation.expires_at = sent_at + timedelta(days=campaign.link_expiry_days)
            last_surveyed[customer.pk] = sent_at
        invitations.append(invitation)
    return invitations
