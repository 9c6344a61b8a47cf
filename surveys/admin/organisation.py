"""Customers, agents, teams and SLA policies."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Agent, Customer, SLAPolicy, Team
from ..selectors import teams_with_agent_counts
from ..services.customers import customer_erase
from .widgets import hours_display


class _SetOrNotFilter(admin.SimpleListFilter):
    """Yes / no on whether a nullable timestamp is set."""

    field_name = ""

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(**{f"{self.field_name}__isnull": False})
        if self.value() == "no":
            return queryset.filter(**{f"{self.field_name}__isnull": True})
        return queryset


class OptedOutFilter(_SetOrNotFilter):
    title = _("opted out")
    parameter_name = "opted_out"
    field_name = "opted_out_at"


class ErasedFilter(_SetOrNotFilter):
    title = _("erased")
    parameter_name = "erased"
    field_name = "erased_at"


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name", "locale", "segment", "opted_out", "snoozed_until", "erased_at")
    list_filter = ("locale", "segment", OptedOutFilter, ErasedFilter)
    search_fields = ("email", "name", "external_id")
    readonly_fields = ("erased_at", "created_at")
    fields = (
        "email",
        "name",
        "locale",
        "external_id",
        "segment",
        "opted_out_at",
        "snoozed_until",
        "erased_at",
        "created_at",
    )
    actions = ("erase_personal_data",)

    @admin.display(description=_("opted out"), boolean=True, ordering="opted_out_at")
    def opted_out(self, obj):
        return obj.opted_out_at is not None

    def has_erase_permission(self, request):
        return request.user.has_perm("surveys.erase_customer")

    @admin.action(
        description=_("Erase personal data of the selected customers (cannot be undone)"),
        permissions=("erase",),
    )
    def erase_personal_data(self, request, queryset):
        erased = 0
        for customer in queryset.filter(erased_at__isnull=True):
            customer_erase(customer=customer)
            erased += 1
        self.message_user(
            request,
            ngettext(
                "Erased the personal data of %(count)d customer; their tickets and scores are kept.",
                "Erased the personal data of %(count)d customers; their tickets and scores are kept.",
                erased,
            )
            % {"count": erased},
            messages.SUCCESS,
        )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "agent_count")
    search_fields = ("name",)

    def get_queryset(self, request):
        return teams_with_agent_counts(super().get_queryset(request))

    @admin.display(description=_("agents"), ordering="agent_count")
    def agent_count(self, obj):
        return obj.agent_count


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "team", "user", "is_active")
    list_filter = ("team", "is_active")
    search_fields = ("name", "email", "external_id")
    list_select_related = ("team", "user")


def _hours_field(label):
    return forms.DecimalField(
        label=label, min_value=Decimal("0.01"), max_digits=8, decimal_places=2, help_text=_("In hours, e.g. 0.5")
    )


def _to_hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))


class SLAPolicyForm(forms.ModelForm):
    """Targets are typed in hours and stored in seconds, the unit reports compute in."""

    first_response_hours = _hours_field(_("first response target (hours)"))
    resolution_hours = _hours_field(_("resolution target (hours)"))

    class Meta:
        model = SLAPolicy
        fields = ("priority",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["first_response_hours"] = _to_hours(self.instance.first_response_target_s)
            self.initial["resolution_hours"] = _to_hours(self.instance.resolution_target_s)

    def clean(self):
        cleaned = super().clean()
        response, resolution = cleaned.get("first_response_hours"), cleaned.get("resolution_hours")
        if response is not None and resolution is not None:
            if resolution < response:
                self.add_error(
                    "resolution_hours", _("The resolution target cannot be shorter than the first-response one.")
                )
            # The seconds fields are not form fields, so set them before the model is validated.
            self.instance.first_response_target_s = int(response * 3600)
            self.instance.resolution_target_s = int(resolution * 3600)
        return cleaned


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    form = SLAPolicyForm
    list_display = ("priority", "first_response_target", "resolution_target")

    @admin.display(description=_("first response target"), ordering="first_response_target_s")
    def first_response_target(self, obj):
        return hours_display(obj.first_response_target_s)

    @admin.display(description=_("resolution target"), ordering="resolution_target_s")
    def resolution_target(self, obj):
        return hours_display(obj.resolution_target_s)
