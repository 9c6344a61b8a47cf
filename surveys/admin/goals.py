"""Targets and improvement actions: what managers aim for and act on (alert rules: alerts.py)."""

from django.contrib import admin

from ..models import ImprovementAction, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("metric", "comparison", "value", "period_start", "period_end", "campaign", "team")
    list_filter = ("metric", "campaign", "team")
    date_hierarchy = "period_start"
    list_select_related = ("campaign", "team")


@admin.register(ImprovementAction)
class ImprovementActionAdmin(admin.ModelAdmin):
    list_display = ("title", "metric", "owner", "started_on", "due_on", "status")
    list_filter = ("status", "metric")
    search_fields = ("title", "goal", "measures")
    date_hierarchy = "started_on"
    list_select_related = ("owner",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
