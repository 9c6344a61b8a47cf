"""Personal data: what erasure and retention remove. docs/privacy.md lists every place it lives.

Both keep every row, count and score; they only blank the text that can name or describe a
person. Stored event payloads are cut down to an allow-list of fields (``payload_redact``), so
fields a helpdesk adds later are dropped too rather than kept by default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import (
    COMMENT,
    Answer,
    Customer,
    FollowUp,
    FollowUpEmail,
    Invitation,
    ScoreClick,
    Ticket,
    TicketEvent,
)

# What a redacted payload keeps: everything the reports could ever need, nothing that names.
PAYLOAD_KEEP = ("event_id", "source", "type", "occurred_at")
TICKET_KEEP = (
    "id",
    "priority",
    "category",
    "channel",
    "status",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "contact_count",
    "reopen_count",
    "is_complaint",
)
CUSTOMER_KEEP = ("locale", "segment")
AGENT_KEEP = ("id", "team")
# Replaces an invitation's last error (SMTP answers often quote the address).
ERASED_ERROR = "customer erased"
RETENTION_ERROR = "error text removed after the retention period"
BATCH = 2000


def _pick(source, keys: Iterable[str]) -> dict:
    if not isinstance(source, dict):
        return {}
    return {key: source[key] for key in keys if key in source}


def payload_redact(payload) -> dict:
    """The stored event without personal data: no customer email, name or id, no subject,
    no agent name or email, and no field outside the allow-list above. Idempotent."""
    source = payload if isinstance(payload, dict) else {}
    redacted = _pick(source, PAYLOAD_KEEP)
    ticket = source.get("ticket")
    if isinstance(ticket, dict):
        kept = _pick(ticket, TICKET_KEEP)
        if isinstance(ticket.get("customer"), dict):
            kept["customer"] = _pick(ticket["customer"], CUSTOMER_KEEP)
        if isinstance(ticket.get("agent"), dict):
            kept["agent"] = _pick(ticket["agent"], AGENT_KEEP)
        redacted["ticket"] = kept
    return redacted


def events_redact(events: QuerySet) -> int:
    """Cut the payloads of ``events`` not yet redacted down to the allow-list and stamp
    ``redacted_at``, in batches; returns how many events were redacted."""
    changed = 0
    events = events.filter(redacted_at__isnull=True)
    while True:
        batch = list(events.order_by("pk").only("pk", "payload")[:BATCH])
        if not batch:
            return changed
        now = timezone.now()
        for event in batch:
            event.payload = payload_redact(event.payload)
            event.last_error = ""  # an apply error may quote a value of the payload
            event.redacted_at = now
        TicketEvent.objects.bulk_update(batch, ["payload", "last_error", "redacted_at"])
        changed += len(batch)


def events_naming_customer(customer: Customer, emails: Iterable[str], external_ids: Iterable[str]) -> QuerySet:
    """Events applied to the customer's tickets, plus stored events that name the customer
    but never reached a ticket (refused or not yet applied)."""
    match = Q(ticket__customer=customer)
    for email in {e for e in emails if e}:
        match |= Q(payload__ticket__customer__email__iexact=email)
    for external_id in {x for x in external_ids if x}:
        match |= Q(payload__ticket__customer__id=external_id)
        if external_id.isdigit():  # helpdesks often send numeric ids, stored as JSON numbers
            match |= Q(payload__ticket__customer__id=int(external_id))
    return TicketEvent.objects.filter(match)


@dataclass(frozen=True)
class RetentionResult:
    answers: int
    subjects: int
    payloads: int
    notes: int
    errors: int
    clicks: int = 0


def personal_data_retention_apply(*, days: int, now: datetime | None = None) -> RetentionResult:
    """Blank free text, ticket subjects, follow-up notes and emails, invitation errors and the user agent
    and network kept with one-click scores, and redact event payloads, for everything older
    than ``days`` days before ``now``.

    Age is: a click's time; an answer's response start; a ticket's close (or its opening, if never closed);
    an event's arrival; a follow-up's or invitation's last change; a follow-up email's sending. Customers keep their email,
    since they are surveyed again; erase a customer to remove it. Idempotent; rows, counts and
    scores stay. Returns how many rows of each kind changed.
    """
    if days < 1:
        raise ValueError("retention keeps at least one day")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    answers = _in_batches(
        Answer.objects.filter(COMMENT, response__started_at__lt=cutoff),
        text="",
    )
    subjects = _in_batches(
        Ticket.objects.filter(Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, opened_at__lt=cutoff)).exclude(
            subject=""
        ),
        subject="",
    )
    notes = _in_batches(FollowUp.objects.filter(updated_at__lt=cutoff).exclude(notes=""), notes="")
    notes += _in_batches(
        FollowUpEmail.objects.filter(sent_at__lt=cutoff).exclude(to_email="", subject="", body=""),
        to_email="",
        subject="",
        body="",
    )
    errors = _in_batches(
        Invitation.objects.filter(updated_at__lt=cutoff).exclude(
            last_error__in=("", ERASED_ERROR, RETENTION_ERROR)
        ),
        last_error=RETENTION_ERROR,
    )
    payloads = events_redact(TicketEvent.objects.filter(received_at__lt=cutoff))
    clicks = _in_batches(
        ScoreClick.objects.filter(clicked_at__lt=cutoff).exclude(user_agent="", network=""),
        user_agent="",
        network="",
    )
    return RetentionResult(
        answers=answers, subjects=subjects, payloads=payloads, notes=notes, errors=errors, clicks=clicks
    )


def _in_batches(rows: QuerySet, **values) -> int:
    """UPDATE ``rows`` in short transactions of BATCH rows, so a first run over years of data
    holds no long lock; returns how many rows changed."""
    changed = 0
    while True:
        pks = list(rows.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not pks:
            return changed
        changed += rows.model.objects.filter(pk__in=pks).update(**values)
