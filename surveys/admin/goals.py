"""Targets, improvement actions and alert rules: what managers aim for and act on."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import AlertRule, ImprovementAction, Target
from .widgets import email_lines_clean


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


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = (
            "name",
            "is_active",
            "metric",
            "comparison",
            "threshold",
            "window_hours",
            "min_n",
            "campaign",
            "recipients",
        )
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}

    def clean_recipients(self):
        value = email_lines_clean(self.cleaned_data.get("recipients", ""))
        if not value:
            raise forms.ValidationError(_("Give at least one email address."), code="required")
        return value


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = (
        "name",
        "metric",
        "comparison",
        "threshold",
        "window_hours",
        "min_n",
        "campaign",
        "is_active",
        "last_fired_at",
    )
    list_filter = ("is_active", "metric", "campaign")
    search_fields = ("name",)
    list_select_related = ("campaign",)
    readonly_fields = ("last_fired_at",)
