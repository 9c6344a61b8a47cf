"""Ticket closed → invitations (docs/design.md flow 2): campaign filters, eligibility, enqueue."""

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .. import rows
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

# Every column of a campaign that deciding and writing invitations reads, plus updated_at.
_FINGERPRINT_FIELDS = (
    "id",
    "priority",
    "questionnaire",
    "starts_at",
    "ends_at",
    "filter_categories",
    "filter_priorities",
    "filter_channels",
    "filter_segments",
    "delay_minutes",
    "sample_rate",
    "throttle_days",
    "daily_cap",
    "updated_at",
)
_NO_CACHE = object()
# (fingerprint, campaigns) of the last load in this process; see campaigns_active().
_active_cache: tuple = (_NO_CACHE, [])


def campaign_fingerprint_sql() -> str:
    """SQL for one value that changes whenever any active ticket-closed campaign is added,
    removed, switched on or off, or has a column read here changed, however it was changed
    (admin, shell, ``QuerySet.update()``); NULL when there is none. No parameters."""
    meta = Campaign._meta
    cols = ", ".join(rows.quote(meta.get_field(name).column) for name in _FINGERPRINT_FIELDS)
    table, pk = rows.quote(meta.db_table), rows.quote(meta.pk.column)
    active = "{} AND {} = '{}'".format(
        rows.quote(meta.get_field("is_active").column),
        rows.quote(meta.get_field("trigger").column),
        CampaignTrigger.TICKET_CLOSED.value,
    )
    if connection.vendor == "postgresql":
        return (
            f"SELECT md5(string_agg(json_build_array({cols})::text, ',' ORDER BY {pk})) "  # noqa: S608
            f"FROM {table} WHERE {active}"
        )
    return (
        f"SELECT group_concat(fingerprint, ',') FROM "  # noqa: S608 - identifiers from metadata
        f"(SELECT json_array({cols}) AS fingerprint FROM {table} WHERE {active} ORDER BY {pk})"
    )


def campaigns_active(*, fingerprint=_NO_CACHE) -> list[Campaign]:
    """Active ticket-closed campaigns, whatever their window, in (priority, pk) order.

    Loaded once per process and kept while ``fingerprint`` (the value of
    ``campaign_fingerprint_sql()``, read by the caller in a statement it runs anyway) is the
    one they were loaded with: an edit takes effect on the very next event, in every process,
    at no extra query. Without a fingerprint they are loaded afresh. Treat them as read-only.
    """
    global _active_cache
    cached_fingerprint, cached = _active_cache
    if fingerprint is not _NO_CACHE and fingerprint == cached_fingerprint:
        return cached
    campaigns = list(
        Campaign.objects.filter(is_active=True, trigger=CampaignTrigger.TICKET_CLOSED)
        # The same statement reads the fingerprint, so it describes exactly these rows.
        .annotate(ingest_fingerprint=RawSQL(f"({campaign_fingerprint_sql()})", ()))  # noqa: S611 - no input
        .order_by("priority", "pk")
    )
    _active_cache = (campaigns[0].ingest_fingerprint if campaigns else None, campaigns)
    return campaigns


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
    already (``customer_history_sql()``) or knows there is none (a customer it just created)."""

    # The newest live invitation of any campaign: its sent_at, else its created_at.
    last_surveyed_at: datetime | None = None
    # Another ticket of the customer is flagged as a complaint and not closed.
    complaint_open: bool = False


def customer_history_sql(customer_id: str) -> str:
    """Two SELECT-list expressions giving ``CustomerHistory`` for the customer whose id is the
    SQL ``customer_id``; one parameter, the current ticket's id (None for a new ticket)."""
    invitation, ticket = rows.quote(Invitation._meta.db_table), rows.quote(Ticket._meta.db_table)
    live = ", ".join(f"'{status}'" for status in LIVE_STATUSES)
    return (
        f"(SELECT MAX(COALESCE(sent_at, created_at)) FROM {invitation} "  # noqa: S608 - constants
        f"WHERE customer_id = {customer_id} AND status IN ({live})), "
        f"EXISTS (SELECT 1 FROM {ticket} WHERE customer_id = {customer_id} AND is_complaint "
        f"AND status NOT IN ('{TicketStatus.CLOSED.value}', '{TicketStatus.REMOVED.value}') "
        "AND id <> COALESCE(CAST(%s AS BIGINT), 0))"
    )


def customer_history(last_surveyed_at, complaint_open) -> CustomerHistory:
    """``CustomerHistory`` from the two values ``customer_history_sql()`` selected."""
    return CustomerHistory(
        last_surveyed_at=rows.convert(Invitation, "sent_at", last_surveyed_at),
        complaint_open=bool(complaint_open),
    )


def customer_history_read(*, customer: Customer, ticket: Ticket) -> CustomerHistory:
    """The customer's past in one query, for a caller that has not read it with its own."""
    (row,) = rows.fetch(f"SELECT {customer_history_sql('%s')}", [customer.pk, customer.pk, ticket.pk])
    return customer_history(*row)


def invited_campaigns_sql(ticket: str) -> str:
    """A SELECT-list expression: the ids of the campaigns that already have an invitation for
    the ticket (SQL alias ``ticket``) and its current cycle, comma-separated (NULL if none)."""
    invitation = rows.quote(Invitation._meta.db_table)
    ids = "group_concat(campaign_id, ',')"
    if connection.vendor == "postgresql":
        ids = "string_agg(CAST(campaign_id AS TEXT), ',')"
    return (
        f"(SELECT {ids} FROM {invitation} "  # noqa: S608 - identifiers from metadata
        f"WHERE ticket_id = {ticket}.id AND cycle = {ticket}.cycle)"
    )


def _suppression_reason(
    *,
    campaign: Campaign,
    ticket: Ticket,
    customer: Customer,
    send_after: datetime,
    now: datetime,
    history: CustomerHistory,
) -> str:
    """Why this ticket's customer must not get this campaign's survey, or "" if they may.

    Checked in this order, the first that applies is recorded: no email, opted out, snoozed
    (until after ``send_after``), throttled (a live invitation of any campaign first sent —
    or created, if not sent yet — within the campaign's throttle days), sampled out, daily cap
    (live invitations of the campaign due the same local day), complaint still open (another
    ticket of the customer flagged as a complaint and not closed). ``history`` is the
    customer's past before this call (the call writes at most one live invitation)."""
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
    if history.complaint_open:
        return SuppressionReason.COMPLAINT_OPEN
    return ""


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


@cache
def _invited_sql(vendor: str) -> str:
    invitation = rows.quote(Invitation._meta.db_table)
    return f"SELECT campaign_id FROM {invitation} WHERE ticket_id = %s AND cycle = %s"  # noqa: S608


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

    The ticket service passes what it has read already in its own statements, so nothing is
    read twice: ``campaigns`` (``campaigns_active()``), ``history`` (``CustomerHistory``; None:
    read here, in one query) and ``invited`` (ids of the campaigns that already invited this cycle;
    None: read). ``survey`` is a caller's explicit campaign and delay (``SurveyRequest``).
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
        invited = {row[0] for row in rows.fetch(_invited_sql(connection.vendor), [ticket.pk, ticket.cycle])}
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
            reason = _suppression_reason(
                campaign=campaign,
                ticket=ticket,
                customer=customer,
                send_after=send_after,
                now=now,
                history=history,
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
        rows.insert(invitation)
        written.append(invitation)
        if not reason and send_after <= now:
            from ..tasks.sending import invitation_send_enqueue  # tasks import services

            invitation_send_enqueue(invitation.pk)
    return written


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
