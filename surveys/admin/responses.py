"""Invitations, responses with their answers, and follow-up cases."""

import logging

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import Answer, FollowUp, Invitation, Response
from ..selectors_followups import case_owner_choices
from ..services.followups import followup_update
from .campaigns import resend_failed
from .widgets import ReadOnlyAdmin, ReadOnlyInline

audit = logging.getLogger("surveys.audit")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Read-only: every status change goes through the invitation services (send, expire…),
    including the one action here, "resend", which puts failed invitations back to scheduled.

    The survey token is never shown: it is the customer's only credential, and whoever holds
    it can answer as the customer. A superuser who must see the survey as the customer uses
    the "open as the customer" action, which writes an audit log line and an admin log entry.
    """

    actions = ("resend", "open_as_customer")

    list_display = (
        "ticket",
        "customer",
        "campaign",
        "status",
        "suppression_reason",
        "send_after",
        "sent_at",
        "reminders_sent",
    )
    list_filter = ("status", "suppression_reason", "campaign")
    search_fields = ("ticket__external_id", "customer__email")
    date_hierarchy = "created_at"
    list_select_related = ("ticket", "customer", "campaign")
    fields = (
        "campaign",
        "questionnaire",
        "ticket",
        "cycle",
        "customer",
        "language",
        "status",
        "suppression_reason",
        "send_after",
        "claimed_at",
        "sent_at",
        "last_sent_at",
        "expires_at",
        "reminders_sent",
        "reminders_stopped",
        "attempts",
        "last_error",
    )

    @admin.action(description=_("Resend (failed only)"), permissions=["resend"])
    def resend(self, request, queryset):
        resend_failed(self, request, list(queryset.values_list("pk", flat=True)))

    @admin.action(
        description=_("Open the survey as the customer (superusers; one invitation; logged)"),
        permissions=["open_as_customer"],
    )
    def open_as_customer(self, request, queryset):
        invitations = list(queryset[:2])
        if len(invitations) != 1:
            self.message_user(request, _("Select exactly one invitation."), messages.ERROR)
            return None
        invitation = invitations[0]
        audit.warning(
            "user %s (id %s) opened invitation %s as the customer",
            request.user.get_username(),
            request.user.pk,
            invitation.pk,
        )
        self.log_change(request, invitation, "Opened the survey as the customer")
        return HttpResponseRedirect(reverse("surveys:survey", args=[invitation.token]))

    def has_open_as_customer_permission(self, request):
        return request.user.is_superuser

    def has_resend_permission(self, request):
        # Whoever runs campaigns may retry their sends; viewing invitations is not enough.
        return request.user.has_perm("surveys.change_campaign")


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = ("question", "kind", "number", "choices", "text")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = (
        "ticket",
        "customer",
        "nps_score",
        "csat_score",
        "ces_score",
        "is_complete",
        "is_complaint",
        "started_at",
    )
    list_filter = ("is_complete", "is_complaint", "language", "invitation__campaign", "imported_from")
    search_fields = ("invitation__ticket__external_id", "invitation__customer__email")
    date_hierarchy = "started_at"
    list_select_related = ("invitation__ticket", "invitation__customer")
    fields = (
        "invitation",
        "language",
        "started_at",
        "submitted_at",
        "is_complete",
        "is_complaint",
        "nps_score",
        "csat_score",
        "ces_score",
        "imported_from",
        "imported_id",
    )
    inlines = (AnswerInline,)

    @admin.display(description=_("ticket"), ordering="invitation__ticket__external_id")
    def ticket(self, obj):
        return obj.invitation.ticket

    @admin.display(description=_("customer"))
    def customer(self, obj):
        return obj.invitation.customer


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    """Cases are opened by the response pipeline; staff work them here (status, owner, notes)."""

    list_display = ("ticket", "reason", "status", "owner", "due_at", "outcome", "created_at", "closed_at")
    list_filter = ("status", "reason", "outcome")
    search_fields = ("ticket__external_id", "ticket__customer__email", "notes")
    date_hierarchy = "created_at"
    list_select_related = ("ticket", "owner")
    fields = (
        "response", "ticket", "reason", "status", "outcome", "owner", "notes",
        "created_at", "due_at", "first_contact_at", "closed_at",
    )
    readonly_fields = ("response", "ticket", "reason", "created_at", "due_at", "first_contact_at", "closed_at")

    def has_add_permission(self, request):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = case_owner_choices()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        followup_update(
            followup=obj,
            status=form.cleaned_data["status"],
            owner=form.cleaned_data["owner"],
            notes=form.cleaned_data["notes"],
            outcome=form.cleaned_data["outcome"],
        )
