"""Targets and improvement actions: what managers aim for and act on (alert rules: alerts.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import ImprovementAction, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("metric", "comparison", "value", "period_start", "period_end", "campaign", "team")
    list_filter = ("metric", "campaign", "team")
    date_hierarchy = "period_start"
    list_select_related = ("campaign", "team")


@admin.register(ImprovementAction)
class ImprovementActionAdmin(admin.ModelAdmin):
    """The plan: goal (metric, scope, target), owner, dates and status. Its measured effect is
    on the dashboard and in the summary report (docs/metrics.md)."""

    list_display = (
        "title",
        "metric",
        "target_comparison",
        "target_value",
        "team",
        "owner",
        "started_on",
        "due_on",
        "status",
    )
    list_filter = ("status", "metric", "team", "campaign")
    search_fields = ("title", "goal", "measures")
    date_hierarchy = "started_on"
    list_select_related = ("owner", "team")
    fieldsets = (
        (None, {"fields": ("title", "goal", "measures", "owner", "started_on", "due_on", "status")}),
        (
            _("Goal: the metric it should move"),
            {
                "fields": (
                    "metric",
                    ("target_comparison", "target_value"),
                    "campaign",
                    "team",
                    "category",
                    "channel",
                ),
                "description": _(
                    "The dashboard compares the metric in this scope (empty = all) before and after the start "
                    "over periods of equal length, and says whether the target was reached."
                ),
            },
        ),
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
