"""Outbound event subscriptions (with "Send a test event" and secret rotation) and their
delivery log, read-only (docs/api.md, "Outbound events")."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..models import WebhookDelivery, WebhookSubscription
from ..models.outbound import HTTP_URL, SUBSCRIBABLE
from ..services.outbound import outbound_ping, webhook_subscription_rotate_secret


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        validators=[HTTP_URL],
        help_text=_("http(s) only; the events are POSTed here."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(e.value, e.label) for e in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "is_active", "include_comments")


def _secret_shown_once(request, subscription: WebhookSubscription, *, new: bool) -> None:
    what = _("Signing secret of “%(name)s”") if new else _("New signing secret of “%(name)s”")
    messages.warning(
        request,
        format_html(
            "{}: <code>{}</code> — {}",
            what % {"name": subscription.name},
            subscription.secret,
            _("copy it now: it is shown masked from now on."),
        ),
    )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    change_form_template = "admin/surveys/webhooksubscription/change_form.html"
    list_display = ("name", "url", "event_list", "is_active", "include_comments", "created_by", "created_at")
    list_filter = ("is_active", "include_comments")
    search_fields = ("name", "url")
    list_select_related = ("created_by",)
    readonly_fields = ("secret_shown", "created_by", "created_at", "updated_at")
    actions = ("send_test_event", "rotate_secret")

    @admin.display(description=_("events"))
    def event_list(self, subscription):
        return ", ".join(subscription.events)

    @admin.display(description=_("signing secret"))
    def secret_shown(self, subscription):
        return subscription.secret_masked if subscription.pk else _("generated when saved, shown once")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            _secret_shown_once(request, obj, new=True)

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/ping/",
                self.admin_site.admin_view(self.ping_view),
                name="surveys_webhooksubscription_ping",
            )
        ]
        return urls + super().get_urls()

    @method_decorator(require_POST)
    def ping_view(self, request, object_id):
        subscription = self.get_object(request, object_id)
        if subscription is None:
            raise Http404
        if not self.has_change_permission(request, subscription):
            raise PermissionDenied
        self._ping(request, [subscription])
        return HttpResponseRedirect(reverse("admin:surveys_webhookdelivery_changelist"))

    def _ping(self, request, subscriptions) -> None:
        for subscription in subscriptions:
            delivery = outbound_ping(subscription=subscription)
            messages.success(
                request,
                _("Test event %(id)s queued for “%(name)s”: its outcome shows in the delivery log.")
                % {"id": delivery.event_id, "name": subscription.name},
            )

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        self._ping(request, queryset)

    @admin.action(description=_("Generate a new signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_rotate_secret(subscription=subscription)
            _secret_shown_once(request, subscription, new=False)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Every delivery and how it went. Written by the outbound service only."""

    list_display = (
        "created_at",
        "subscription",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "short_error",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type", "last_status_code", "subscription")
    search_fields = ("event_id",)
    date_hierarchy = "created_at"
    list_select_related = ("subscription",)
    fields = (
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "updated_at",
        "delivered_at",
        "payload_shown",
    )
    readonly_fields = fields

    @admin.display(description=_("last error"))
    def short_error(self, delivery):
        return (delivery.last_error[:80] + "…") if len(delivery.last_error) > 80 else delivery.last_error

    @admin.display(description=_("payload"))
    def payload_shown(self, delivery):
        return format_html("<pre>{}</pre>", json.dumps(delivery.payload, indent=2, ensure_ascii=False))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
