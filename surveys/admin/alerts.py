"""Alert rules, the "test this rule" page, and the alert log (read-only)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..alert_messages import webhook_body
from ..models import AlertCheck, AlertDelivery, AlertLog, AlertRule, Metric
from ..services.alerts import alert_rule_test
from .widgets import email_lines_clean, url_lines_clean


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = (
            "name",
            "is_active",
            "check_kind",
            "metric",
            "percentile",
            "comparison",
            "threshold",
            "window_hours",
            "min_n",
            "cooldown_minutes",
            "campaign",
            "team",
            "category",
            "channel",
            "recipients",
            "webhook_urls",
        )
        widgets = {
            "recipients": forms.Textarea(attrs={"rows": 3}),
            "webhook_urls": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_recipients(self):
        return email_lines_clean(self.cleaned_data.get("recipients", ""))

    def clean_webhook_urls(self):
        return url_lines_clean(self.cleaned_data.get("webhook_urls", ""))

    def clean(self):
        data = super().clean()
        check = data.get("check_kind")
        if check == AlertCheck.METRIC:
            if not data.get("metric"):
                self.add_error("metric", _("Choose the metric this rule watches."))
            elif data["metric"] == Metric.RESPONSES:
                self.add_error(
                    "metric", _("For “no responses”, choose the built-in check: it also looks at invitations.")
                )
        elif check:
            # The built-in checks watch their own figure.
            data["metric"] = ""
        min_n = data.get("min_n")
        if check != AlertCheck.NO_RESPONSES and min_n is not None and min_n < settings.REPORT_MIN_SAMPLE:
            self.add_error(
                "min_n",
                _("At least %(n)s: figures from fewer records are not shown anywhere.")
                % {"n": settings.REPORT_MIN_SAMPLE},
            )
        threshold = data.get("threshold")
        if check == AlertCheck.SENDING_FAILURES and threshold is not None and not 0 <= threshold < 100:
            self.add_error("threshold", _("A percentage from 0 up to (not including) 100."))
        if not self.errors and not data.get("recipients") and not data.get("webhook_urls"):
            raise ValidationError(_("Give at least one email address or webhook URL."), code="no_destination")
        return data


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    change_form_template = "admin/surveys/alertrule/change_form.html"
    list_display = (
        "name",
        "check_kind",
        "metric",
        "comparison",
        "threshold",
        "window_hours",
        "min_n",
        "campaign",
        "team",
        "is_active",
        "is_firing",
        "last_figure",
        "last_n",
        "last_fired_at",
    )
    list_filter = ("is_active", "is_firing", "check_kind", "metric", "campaign", "team")
    search_fields = ("name",)
    list_select_related = ("campaign", "team")
    readonly_fields = ("is_firing", "last_fired_at", "last_evaluated_at", "last_figure", "last_n")
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (
            _("What to watch"),
            {"fields": ("check_kind", "metric", "percentile", "comparison", "threshold", "window_hours", "min_n")},
        ),
        (_("Scope (empty = all)"), {"fields": ("campaign", "team", "category", "channel")}),
        (_("Where it goes"), {"fields": ("recipients", "webhook_urls", "cooldown_minutes")}),
        (_("State"), {"fields": ("is_firing", "last_fired_at", "last_evaluated_at", "last_figure", "last_n")}),
    )

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="surveys_alertrule_test",
            )
        ]
        return urls + super().get_urls()

    @method_decorator(require_POST)
    def test_view(self, request, object_id):
        """What the rule would say now: logged as a test, sent nowhere, state unchanged."""
        # get_object answers None for an id that is not one (no 500 on "/x/test/").
        rule = self.get_object(request, object_id)
        if rule is None:
            raise Http404
        if not self.has_change_permission(request, rule):
            raise PermissionDenied
        log, figure, would = alert_rule_test(rule=rule)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": rule,
            "title": _("Test this rule"),
            "log": log,
            "figure": figure,
            "would": would,
            "webhook_json": webhook_body(subject=log.subject, body=log.body).decode("utf-8"),
            "change_url": reverse("admin:surveys_alertrule_change", args=[rule.pk]),
        }
        return TemplateResponse(request, "admin/surveys/alertrule/test.html", context)


def _may_read_rules(request) -> bool:
    # Whoever may read the rules may read what they said: no separate role permission.
    return request.user.is_active and request.user.is_staff and request.user.has_perm("surveys.view_alertrule")


class AlertDeliveryInline(admin.TabularInline):
    model = AlertDelivery
    fields = ("channel", "destination", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return _may_read_rules(request)


@admin.register(AlertLog)
class AlertLogAdmin(admin.ModelAdmin):
    """What each rule said, when, on which figure, and where it went. Written by beat only."""

    list_display = ("fired_at", "rule", "kind", "figure", "n", "window_start", "window_end", "destinations")
    list_filter = ("kind", "rule")
    date_hierarchy = "fired_at"
    list_select_related = ("rule",)
    inlines = [AlertDeliveryInline]
    readonly_fields = ("rule", "kind", "fired_at", "figure", "n", "window_start", "window_end", "subject", "body")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("deliveries")

    @admin.display(description=_("where it went"))
    def destinations(self, log):
        return ", ".join(f"{d.destination} ({d.get_status_display()})" for d in log.deliveries.all()) or "—"

    def has_module_permission(self, request):
        return _may_read_rules(request)

    def has_view_permission(self, request, obj=None):
        return _may_read_rules(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
