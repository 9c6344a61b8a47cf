"""Tickets and the helpdesk events that carried them in: read-only, they belong to the helpdesk."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Ticket, TicketEvent
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
    list_display = ("event_id", "source", "type", "occurred_at", "ticket", "received_at", "applied_at")
    list_filter = ("type", "source")
    search_fields = ("event_id", "ticket__external_id")
    date_hierarchy = "received_at"
    list_select_related = ("ticket",)
