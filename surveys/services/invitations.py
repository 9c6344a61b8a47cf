"""Ticket closed → invitations (DESIGN.md flow 2): campaign filters, eligibility, enqueue."""

import hashlib
import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import (
    Campaign,
    CampaignTrigger,
    Customer,
    Invitation,
    InvitationStatus,
    SuppressionReason,
    Ticket,
    TicketStatus,
)

logger = logging.getLogger(__name__)

# Invitations that reached, or will reach, the customer: they count for throttle and daily cap.
LIVE_STATUSES = (
    InvitationStatus.SCHEDULED,
    InvitationStatus.SENDING,
    InvitationStatus.SENT,
    InvitationStatus.ANSWERED,
    InvitationStatus.EXPIRED,
)
SAMPLE_BUCKETS = 10_000


def campaigns_matching(*, ticket: Ticket) -> list[Campaign]:
    """Active ticket-closed campaigns whose window holds ``closed_at`` and whose filters all
    match the ticket (an empty filter list matches everything; text compares ignore case).
    Judging the window at ``closed_at`` means importing old tickets never surveys them."""
    closed_at = ticket.closed_at
    campaigns = Campaign.objects.filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=closed_at),
        Q(ends_at__isnull=True) | Q(ends_at__gt=closed_at),
        is_active=True,
        trigger=CampaignTrigger.TICKET_CLOSED,
    ).order_by("pk")
    return [c for c in campaigns if _filters_match(c, ticket)]


def _in(value: str, allowed: list) -> bool:
    return not allowed or (value or "").casefold() in {str(a).casefold() for a in allowed}


def _filters_match(campaign: Campaign, ticket: Ticket) -> bool:
    return (
        _in(ticket.category, campaign.filter_categories)
        and _in(ticket.priority, campaign.filter_priorities)
        and _in(ticket.channel, campaign.filter_channels)
        and _in(ticket.customer.segment, campaign.filter_segments)
    )


def invitation_sampled_in(*, campaign: Campaign, ticket: Ticket) -> bool:
    """Deterministic sampling: the same campaign and ticket always get the same answer, on any
    machine and in any process (so a redelivered event or a re-import decides the same)."""
    if campaign.sample_rate >= 100:
        return True
    key = f"{campaign.pk}:{ticket.source}:{ticket.external_id}".encode()
    bucket = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % SAMPLE_BUCKETS
    return bucket < campaign.sample_rate * SAMPLE_BUCKETS // 100


def invitation_suppression_reason(
    *, campaign: Campaign, ticket: Ticket, customer: Customer, send_after: datetime, now: datetime
) -> str:
    """Why this ticket's customer must not get this campaign's survey, or "" if they may.

    Checked in this order, the first that applies is recorded: no email, opted out, snoozed
    (until after ``send_after``), throttled (a live invitation of any campaign first sent —
    or created, if not sent yet — within the campaign's throttle days), sampled out, daily cap
    (live invitations of the campaign due the same local day), complaint still open (another
    ticket of the customer flagged as a complaint and not closed).
    """
    if not customer.email or customer.erased_at is not None:
        return SuppressionReason.NO_EMAIL
    if customer.opted_out_at is not None:
        return SuppressionReason.OPTED_OUT
    if customer.snoozed_until is not None and customer.snoozed_until > send_after:
        return SuppressionReason.SNOOZED
    if campaign.throttle_days and (
        Invitation.objects.filter(customer=customer, status__in=LIVE_STATUSES)
        .annotate(surveyed_at=Coalesce("sent_at", "created_at"))
        .filter(surveyed_at__gte=now - timedelta(days=campaign.throttle_days))
        .exists()
    ):
        return SuppressionReason.THROTTLED
    if not invitation_sampled_in(campaign=campaign, ticket=ticket):
        return SuppressionReason.SAMPLED_OUT
    if campaign.daily_cap is not None:
        day_start = timezone.localtime(send_after).replace(hour=0, minute=0, second=0, microsecond=0)
        scheduled_that_day = Invitation.objects.filter(
            campaign=campaign,
            status__in=LIVE_STATUSES,
            send_after__gte=day_start,
            send_after__lt=day_start + timedelta(days=1),
        ).count()
        if scheduled_that_day >= campaign.daily_cap:
            return SuppressionReason.DAILY_CAP
    if (
        Ticket.objects.filter(customer=customer, is_complaint=True)
        .exclude(status=TicketStatus.CLOSED)
        .exclude(pk=ticket.pk)
        .exists()
    ):
        return SuppressionReason.COMPLAINT_OPEN
    return ""


def invitations_create_for_ticket(*, ticket: Ticket, now: datetime | None = None) -> list[Invitation]:
    """Write one Invitation per matching campaign for the ticket's current cycle.

    Call inside the transaction that closed the ticket, with the ticket row locked (else a
    concurrent close may raise IntegrityError on the unique (campaign, ticket, cycle)). Each is
    ``scheduled`` with ``send_after = closed_at + delay`` or ``suppressed`` with its reason
    (kept, so suppressions can be counted). A campaign that already has an invitation for this
    cycle is skipped, so calling twice writes nothing new. Invitations already due are enqueued
    after the commit; later ones wait for the beat sweep. Returns the invitations written.
    """
    if ticket.status != TicketStatus.CLOSED or ticket.closed_at is None:
        return []
    now = now or timezone.now()
    customer = ticket.customer
    campaigns = campaigns_matching(ticket=ticket)
    if not campaigns:
        return []
    done = set(
        Invitation.objects.filter(ticket=ticket, cycle=ticket.cycle).values_list("campaign_id", flat=True)
    )
    written = []
    for campaign in campaigns:
        if campaign.pk in done:
            continue
        if campaign.daily_cap is not None:
            # Serialises closes counted against one cap, so two workers cannot both take the last slot.
            Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        send_after = ticket.closed_at + timedelta(minutes=campaign.delay_minutes)
        reason = invitation_suppression_reason(
            campaign=campaign, ticket=ticket, customer=customer, send_after=send_after, now=now
        )
        invitation = Invitation(
            campaign=campaign,
            ticket=ticket,
            customer=customer,
            questionnaire_id=campaign.questionnaire_id,
            cycle=ticket.cycle,
            language=customer.locale,
            status=InvitationStatus.SUPPRESSED if reason else InvitationStatus.SCHEDULED,
            suppression_reason=reason,
            send_after=send_after,
        )
        # No savepoint: with the ticket locked no one else writes this cycle's invitations; if
        # a caller breaks that rule the unique constraint raises rather than sending twice.
        invitation.save(force_insert=True)
        written.append(invitation)
        if not reason and send_after <= now:
            from ..tasks.sending import invitation_send_enqueue  # tasks import services

            invitation_send_enqueue(invitation.pk)
    return written


def invitations_cancel_pending(*, ticket: Ticket) -> int:
    """A reopened ticket's earlier cycles must not be surveyed: cancel their invitations that
    have not started sending. Returns how many were cancelled."""
    return Invitation.objects.filter(
        ticket=ticket, cycle__lt=ticket.cycle, status=InvitationStatus.SCHEDULED
    ).update(status=InvitationStatus.CANCELLED, updated_at=timezone.now())


