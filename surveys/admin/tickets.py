"""Tickets and the helpdesk events that carried them in: read-only, they belong to the helpdesk."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..models import Ticket, TicketEvent
from ..services.ticket_events import events_retry
from ..tasks.ingest import ticket_events_nudge
from .widgets import ReadOnlyAdmin, duration_display


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "external_id",
        "subject",
        "customer",
        "agent",
        "team",
        "priority",
        "category",
        "status",
        "closed_at",
        "first_response_time",
        "resolution_time",
    )
    list_filter = ("status", "priority", "channel", "team", "category", "is_complaint")
    search_fields = ("external_id", "subject", "customer__email")
    date_hierarchy = "closed_at"
    list_select_related = ("customer", "agent", "team")
    fieldsets = (
        (None, {"fields": ("source", "external_id", "subject", "customer", "status", "cycle")}),
        (_("Handled by"), {"fields": ("agent", "team")}),
        (_("Classification"), {"fields": ("category", "priority", "channel", "is_complaint")}),
        (
            _("Timeline"),
            {
                "fields": (
                    "opened_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                    "first_response_time",
                    "resolution_time",
                    "contact_count",
                    "reopen_count",
                )
            },
        ),
        (
            _("Service level"),
            {"fields": ("sla_response_target", "sla_resolution_target", "last_event_at", "updated_at")},
        ),
    )
    readonly_fields = (
        "first_response_time",
        "resolution_time",
        "sla_response_target",
        "sla_resolution_target",
        "updated_at",
    )

    @admin.display(description=_("first response"), ordering="first_response_s")
    def first_response_time(self, obj):
        return duration_display(obj.first_response_s)

    @admin.display(description=_("resolution"), ordering="resolution_s")
    def resolution_time(self, obj):
        return duration_display(obj.resolution_s)

    @admin.display(description=_("SLA first-response target"))
    def sla_response_target(self, obj):
        return duration_display(obj.sla_response_target_s)

    @admin.display(description=_("SLA resolution target"))
    def sla_resolution_target(self, obj):
        return duration_display(obj.sla_resolution_target_s)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    """Every stored event and where it stands; a failed one shows its error and can be retried."""

    list_display = (
        "event_id",
        "source",
        "type",
        "occurred_at",
        "ticket",
        "status",
        "attempts",
        "received_at",
        "applied_at",
    )
    list_filter = ("status", "type", "source")
    readonly_fields = ("last_error", "next_attempt_at")
    actions = ["events_retry_action"]
    search_fields = ("event_id", "ticket__external_id")
    date_hierarchy = "received_at"
    list_select_related = ("ticket",)

    @admin.action(description=_("Retry applying the selected events (failed or waiting)"), permissions=["retry"])
    def events_retry_action(self, request, queryset):
        count = events_retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, _("%(count)d event(s) will be applied again within seconds.") % {"count": count}, messages.SUCCESS
        )
        if count:
            transaction.on_commit(ticket_events_nudge, robust=True)

    def has_retry_permission(self, request):
        # Whoever may run the helpdesk import may retry its events; viewing them is not enough.
        return request.user.has_perm("surveys.change_ticket") or request.user.is_superuser
