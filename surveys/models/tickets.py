"""Support tickets as the helpdesk reports them, and the events that carried them in."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Priority
from .organisation import Agent, Customer, Team


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    # Deleted in the helpdesk, or merged there into another ticket: kept for its history (and
    # any answers already given), but with no closing or resolution time it leaves every
    # service-level figure, which counts tickets by those times.
    REMOVED = "removed", _("Removed in the helpdesk")


def _seconds_between(start, end) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds())


class Ticket(models.Model):
    """A helpdesk ticket.

    ``agent`` and ``team`` are the ones who handled it when it closed, so credit for a score
    cannot move if the ticket is reassigned later. The SLA targets are copied from the
    priority's SLAPolicy when the ticket is written, so editing a policy does not rewrite
    history. ``first_response_s`` and ``resolution_s`` are derived from the timestamps in
    ``save()`` (and ``set_durations()`` for bulk writes): report queries over a million rows
    read plain integers, with the same SQL on PostgreSQL and SQLite.
    """

    source = models.CharField(_("source"), max_length=100)
    external_id = models.CharField(_("ticket id"), max_length=100)
    # No index of their own: the (…, closed_at) indexes below lead with each (docs/design.md,
    # "Indexes"), and every index is one more write for each ticket stored.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    agent = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", db_index=False
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", db_index=False
    )
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    # What the helpdesk's own people call the ticket (django-helpdesk: "billing-12"); emails
    # and reports show it, the id stays the key.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN)

    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    contact_count = models.PositiveSmallIntegerField(_("customer contacts"), default=1)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    is_complaint = models.BooleanField(_("complaint (helpdesk)"), default=False)
    # A reopened and closed-again ticket is a new cycle, with its own invitations.
    cycle = models.PositiveSmallIntegerField(_("resolution cycle"), default=1)

    first_response_s = models.PositiveIntegerField(_("first response time (s)"), null=True, blank=True)
    resolution_s = models.PositiveIntegerField(_("resolution time (s)"), null=True, blank=True)
    sla_response_target_s = models.PositiveIntegerField(null=True, blank=True)
    sla_resolution_target_s = models.PositiveIntegerField(null=True, blank=True)

    # occurred_at of the newest event applied: an older event arriving late changes nothing.
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="ticket_source_external_id_unique"),
            models.CheckConstraint(condition=models.Q(priority__in=Priority.values), name="ticket_priority_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=TicketStatus.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_at__gte=models.F("opened_at")),
                name="ticket_first_response_after_open",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__gte=models.F("opened_at")), name="ticket_resolved_after_open"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__gte=models.F("opened_at")), name="ticket_closed_after_open"
            ),
            models.CheckConstraint(condition=models.Q(cycle__gte=1), name="ticket_cycle_gte_1"),
            models.CheckConstraint(
                condition=~models.Q(status=TicketStatus.CLOSED) | models.Q(closed_at__isnull=False),
                name="ticket_closed_has_closed_at",
            ),
        ]
        indexes = [
            # Ticket metrics by period (reports: complaint rate, FRT, resolution, FCR, SLA).
            models.Index(fields=["closed_at"], name="ticket_closed_at_idx"),
            # The same metrics broken down or filtered by team / agent / category.
            models.Index(fields=["team", "closed_at"], name="ticket_team_closed_idx"),
            models.Index(fields=["agent", "closed_at"], name="ticket_agent_closed_idx"),
            models.Index(fields=["category", "closed_at"], name="ticket_category_closed_idx"),
            # Throttle and "complaint still open" checks look at one customer's tickets.
            models.Index(fields=["customer", "closed_at"], name="ticket_customer_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.external_id}"

    def save(self, *args, **kwargs):
        self.set_durations()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "first_response_s", "resolution_s"}
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """How emails and reports name the ticket: the helpdesk's reference, else its id."""
        return self.reference or self.external_id

    def set_durations(self) -> None:
        self.first_response_s = _seconds_between(self.opened_at, self.first_response_at)
        self.resolution_s = _seconds_between(self.opened_at, self.resolved_at)


class TicketEventType(models.TextChoices):
    OPENED = "ticket.opened", _("Opened")
    UPDATED = "ticket.updated", _("Updated")
    CLOSED = "ticket.closed", _("Closed")
    REOPENED = "ticket.reopened", _("Reopened")


class TicketEventStatus(models.TextChoices):
    """Where a stored event stands (docs/design.md flow 1).

    stored → applied, or stale (older than what its ticket already shows: kept, changes
    nothing), or failed (contradicts its ticket, or the database refused it: kept with its
    error until an admin retries it). A transient error leaves it stored with a later
    ``next_attempt_at``."""

    STORED = "stored", _("Stored, not applied yet")
    APPLIED = "applied", _("Applied")
    STALE = "stale", _("Older than its ticket's state: changed nothing")
    FAILED = "failed", _("Failed to apply")


class TicketEvent(models.Model):
    """One event as received, stored before it is applied. Idempotent on (source, event_id).

    The webhook only stores it (``status`` stored); workers claim stored events in batches and
    apply them (surveys/services/ticket_events.py)."""

    source = models.CharField(_("source"), max_length=100)
    event_id = models.CharField(_("event id"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=TicketEventType.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TicketEventStatus.choices,
        default=TicketEventStatus.STORED,
        db_default=TicketEventStatus.STORED,  # an event inserted by other means waits to be applied
    )
    # Tries that ended in an error (transient or not); reset by an admin retry.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, db_default=0)
    # Not before this moment (backoff after a transient error); null: at once.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # The last error met applying it: an exception's text (may quote a payload value).
    last_error = models.TextField(_("last error"), blank=True, default="", db_default="")
    # The SQLite claim (a conditional UPDATE): which worker holds it, since when (a lease).
    # PostgreSQL claims with SELECT … FOR UPDATE SKIP LOCKED and leaves these empty.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When erasure or retention cut the payload down to its allow-list (docs/privacy.md). A
    # column, not a key in the payload, so a sender cannot mark its own payload as redacted.
    redacted_at = models.DateTimeField(_("personal data removed at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="ticket_event_source_id_unique"),
            models.CheckConstraint(
                condition=models.Q(type__in=TicketEventType.values), name="ticket_event_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TicketEventStatus.values), name="ticket_event_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=TicketEventStatus.APPLIED) | models.Q(applied_at__isnull=False),
                name="ticket_event_applied_has_applied_at",
            ),
        ]
        indexes = [
            # The nightly retention finds old payloads not yet redacted (surveys/services/privacy.py).
            models.Index(
                fields=["received_at"],
                condition=models.Q(redacted_at__isnull=True),
                name="ticket_event_unredacted_idx",
            ),
            # Used by the apply workers' claim: stored events, oldest first (services/ticket_events.py).
            models.Index(
                fields=["id"],
                condition=models.Q(status="stored"),
                name="ticket_event_stored_idx",
            ),
            # The admin's status filter and the "failed events" count.
            models.Index(fields=["status", "received_at"], name="ticket_event_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.event_id} {self.type}"
