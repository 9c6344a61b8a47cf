"""Ticket closed → invitations (docs/design.md flow 2): campaign filters, eligibility, enqueue."""

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Max, Q
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
# Why a reopen cancelled an invitation, kept in last_error as the sending service keeps its own.
REOPENED_REASON = "ticket reopened: survey withdrawn"

def campaigns_active() -> list[Campaign]:
    """Active ticket-closed campaigns, whatever their window, in (priority, pk) order: one
    query. The apply workers read them once per batch, so an edit takes effect at the next
    batch, in every process. Treat them as read-only."""
    return list(
        Campaign.objects.filter(is_active=True, trigger=CampaignTrigger.TICKET_CLOSED).order_by("priority", "pk")
    )


def campaigns_matching(*, ticket: Ticket, campaigns: list[Campaign] | None = None) -> list[Campaign]:
    """Active ticket-closed campaigns whose window holds ``closed_at`` and whose filters all
    match the ticket (an empty filter list matches everything; text compares ignore case), in
    (priority, pk) order: the first is the one that may survey the ticket.
    Judging the window at ``closed_at`` means importing old tickets never surveys them.
    ``campaigns`` is ``campaigns_active()``'s list when the caller has it."""
    closed_at = ticket.closed_at
    if campaigns is None:
        campaigns = campaigns_active()
    matching = [
        c
        for c in campaigns
        if (c.starts_at is None or c.starts_at <= closed_at)
        and (c.ends_at is None or c.ends_at > closed_at)
        and _filters_match(c, ticket)
    ]
    return sorted(matching, key=campaign_precedence)


def campaign_precedence(campaign: Campaign) -> tuple[int, int]:
    """The order in which overlapping campaigns claim a ticket: lower priority first, then
    the older campaign."""
    return (campaign.priority, campaign.pk)


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


@dataclass(frozen=True)
class CustomerHistory:
    """A customer's past as the suppression rules read it, for a caller that has read it
    already or knows there is none (a customer it just created)."""

    # The newest live invitation of any campaign: its sent_at, else its created_at.
    last_surveyed_at: datetime | None = None
    # Another ticket of the customer is flagged as a complaint and not closed.
    complaint_open: bool = False


def customer_history_read(*, customer: Customer, ticket: Ticket) -> CustomerHistory:
    """The customer's past in two small queries (both use the customer's indexes)."""
    last = (
        Invitation.objects.filter(customer=customer, status__in=LIVE_STATUSES)
        .aggregate(last=Max(Coalesce("sent_at", "created_at")))["last"]
    )
    complaint_open = (
        Ticket.objects.filter(customer=customer, is_complaint=True)
        .exclude(status__in=(TicketStatus.CLOSED, TicketStatus.REMOVED))
        .exclude(pk=ticket.pk)
        .exists()
    )
    return CustomerHistory(last_surveyed_at=last, complaint_open=complaint_open)


def invitation_suppression_reason(
    *,
    campaign: Campaign,
    ticket: Ticket,
    customer: Customer,
    send_after: datetime,
    now: datetime,
    history: CustomerHistory,
    scheduled_that_day: int | None = None,
) -> str:
    """Why this ticket's customer must not get this campaign's survey, or "" if they may.

    Checked in this order, the first that applies is recorded: no email, opted out, snoozed
    (until after ``send_after``), throttled (a live invitation of any campaign first sent —
    or created, if not sent yet — within the campaign's throttle days), sampled out, daily cap
    (live invitations of the campaign due the same local day), complaint still open (another
    ticket of the customer flagged as a complaint and not closed). ``history`` is the
    customer's past before this call (the call writes at most one live invitation);
    ``scheduled_that_day`` is the daily cap's count from a caller that counted it under the
    campaign's lock (ticket_batch.py; None: counted here)."""
    if not customer.email or customer.erased_at is not None:
        return SuppressionReason.NO_EMAIL
    if customer.opted_out_at is not None:
        return SuppressionReason.OPTED_OUT
    if customer.snoozed_until is not None and customer.snoozed_until > send_after:
        return SuppressionReason.SNOOZED
    if campaign.throttle_days:
        since = now - timedelta(days=campaign.throttle_days)
        if history.last_surveyed_at is not None and history.last_surveyed_at >= since:
            return SuppressionReason.THROTTLED
    if not invitation_sampled_in(campaign=campaign, ticket=ticket):
        return SuppressionReason.SAMPLED_OUT
    if campaign.daily_cap is not None and scheduled_that_day is None:
        day_start = timezone.localtime(send_after).replace(hour=0, minute=0, second=0, microsecond=0)
        scheduled_that_day = Invitation.objects.filter(
            campaign=campaign,
            status__in=LIVE_STATUSES,
            send_after__gte=day_start,
            send_after__lt=day_start + timedelta(days=1),
        ).count()
    if campaign.daily_cap is not None and scheduled_that_day >= campaign.daily_cap:
        return SuppressionReason.DAILY_CAP
    if history.complaint_open:
        return SuppressionReason.COMPLAINT_OPEN
    return ""


def invitation_new(*, campaign: Campaign, ticket: Ticket, customer, reason: str, send_after) -> Invitation:
    """An unsaved invitation of the ticket's current cycle: scheduled, or suppressed with
    ``reason`` (both writers use it: this module one by one, ticket_batch.py in bulk)."""
    return Invitation(
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


@dataclass(frozen=True)
class SurveyRequest:
    """One caller's explicit request for a survey of this close (the Delighted-compatible
    ``people.json``, surveys/delighted/): ``campaign`` replaces the matching step (its filters
    are not applied, the caller chose it; it must be active and its window must hold the close)
    and ``delay``, when given, replaces the campaign's delay. Suppression rules apply as ever."""

    campaign: Campaign | None = None
    delay: timedelta | None = None


def _requested(campaigns: list[Campaign], *, ticket: Ticket, survey: SurveyRequest) -> list[Campaign]:
    closed_at = ticket.closed_at
    return [
        c
        for c in campaigns
        if c.pk == survey.campaign.pk
        and (c.starts_at is None or c.starts_at <= closed_at)
        and (c.ends_at is None or c.ends_at > closed_at)
    ]


def invitations_create_for_ticket(
    *,
    ticket: Ticket,
    now: datetime | None = None,
    campaigns: list[Campaign] | None = None,
    history: CustomerHistory | None = None,
    invited: Collection[int] | None = None,
    survey: SurveyRequest | None = None,
) -> list[Invitation]:
    """Write one Invitation per matching campaign for the ticket's current cycle.

    Call inside the transaction that closed the ticket, with the ticket row locked (else a
    concurrent close may raise IntegrityError on the unique (campaign, ticket, cycle)). One
    ticket cycle gets at most one survey: the first matching campaign by (priority, pk) decides
    for it, ``scheduled`` with ``send_after = closed_at + delay`` or ``suppressed`` with its own
    reason; every other matching campaign's invitation is ``suppressed`` with "another campaign"
    (kept, so suppressions can be counted), as is every campaign that first matches at a later
    close of a cycle some campaign has already decided. A campaign that already has an
    invitation for this cycle is skipped, so calling twice writes nothing new. Invitations already due are enqueued
    after the commit; later ones wait for the beat sweep. Returns the invitations written.

    The apply workers pass what they have already: ``campaigns`` (``campaigns_active()``, read
    once per batch), ``history`` (``CustomerHistory``; None: read here) and ``invited`` (ids of
    the campaigns that already invited this cycle; None: read). ``survey`` is a caller's
    explicit campaign and delay (``SurveyRequest``).
    """
    if ticket.status != TicketStatus.CLOSED or ticket.closed_at is None:
        return []
    now = now or timezone.now()
    customer = ticket.customer
    if survey is not None and survey.campaign is not None:
        campaigns = _requested(
            campaigns if campaigns is not None else campaigns_active(), ticket=ticket, survey=survey
        )
    else:
        campaigns = campaigns_matching(ticket=ticket, campaigns=campaigns)
    if not campaigns:
        return []
    if invited is None:
        invited = set(
            Invitation.objects.filter(ticket=ticket, cycle=ticket.cycle).values_list("campaign_id", flat=True)
        )
    # Some campaign already decided this cycle at an earlier close: newcomers only record why not.
    decided = bool(invited)
    if history is None and not decided:
        history = customer_history_read(customer=customer, ticket=ticket)
    written = []
    for campaign in campaigns:
        if campaign.pk in invited:
            continue
        delay = timedelta(minutes=campaign.delay_minutes)
        if survey is not None and survey.delay is not None:
            delay = survey.delay
        send_after = ticket.closed_at + delay
        if decided:
            reason = SuppressionReason.ANOTHER_CAMPAIGN
        else:
            decided = True
            if campaign.daily_cap is not None:
                # Serialises closes counted against one cap, so two workers cannot both take the last slot.
                Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
            reason = invitation_suppression_reason(
                campaign=campaign,
                ticket=ticket,
                customer=customer,
                send_after=send_after,
                now=now,
                history=history,
            )
        invitation = invitation_new(
            campaign=campaign, ticket=ticket, customer=customer, reason=reason, send_after=send_after
        )
        # No savepoint: with the ticket locked no one else writes this cycle's invitations; if
        # a caller breaks that rule the unique constraint raises rather than sending twice.
        invitation.save(force_insert=True)
        written.append(invitation)
        if not reason and send_after <= now:
            transaction.on_commit(partial(_send_enqueue, invitation.pk), robust=True)
    return written


def invitations_enqueue_due(invitations: Collection[Invitation], *, now: datetime) -> None:
    """After the commit, hand the scheduled invitations already due to the senders."""
    for invitation in invitations:
        if invitation.status == InvitationStatus.SCHEDULED and invitation.send_after <= now:
            transaction.on_commit(partial(_send_enqueue, invitation.pk), robust=True)


def _send_enqueue(invitation_id: int) -> None:
    """Hand a due invitation to a worker with Celery's own publish. Never raises: with the
    broker down the row stays due in the database and the beat sweep sends it."""
    from ..tasks.sending import invitation_send  # tasks import services

    try:
        invitation_send.apply_async((invitation_id,))
    except Exception as exc:  # any broker failure (kombu wraps most; sockets may not)
        logger.warning("Invitation %s not enqueued (%s); the due sweep will send it.", invitation_id, exc)


def invitations_cancel_pending(*, ticket: Ticket) -> int:
    """A reopened ticket's earlier cycles must not be surveyed: withdraw their invitations that
    are scheduled, or sent and not answered at all (no response, not even a one-click score),
    as ``cancelled`` with ``last_error`` = REOPENED_REASON. Their page then says the survey was
    withdrawn and the reminder sweep leaves them alone; ``sent_at`` stays, so an invitation
    that went out still counts as sent (docs/metrics.md). One a worker is sending right now
    settles back to ``sent`` and gets no further reminder (the claim checks the cycle).
    Returns how many were withdrawn."""
    pending = Q(status=InvitationStatus.SCHEDULED) | Q(status=InvitationStatus.SENT, response__isnull=True)
    return (
        Invitation.objects.filter(ticket=ticket, cycle__lt=ticket.cycle)
        .filter(pending)
        .update(status=InvitationStatus.CANCELLED, last_error=REOPENED_REASON, updated_at=timezone.now())
    )
