"""Helpdesk connections: each helpdesk's webhook address (shown, with its token) and secret."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import HelpdeskConnection


@admin.register(HelpdeskConnection)
class HelpdeskConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "source", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "source")
    fields = (
        "kind",
        "name",
        "source",
        "secret",
        "webhook_url",
        "default_team",
        "default_category",
        "default_locale",
        "active",
        "created_at",
    )
    readonly_fields = ("webhook_url", "created_at")

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj):
        if obj.pk is None:
            return _("Shown once saved.")
        return settings.SITE_URL + obj.path

    def get_readonly_fields(self, request, obj=None):
        # The kind decides the URL and how calls are verified; the source keys the tickets.
        return (*self.readonly_fields, "kind", "source") if obj else self.readonly_fields
