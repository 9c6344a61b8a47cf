"""Helpdesk connections: each helpdesk's webhook address (shown, with its token) and secret."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ..models import HelpdeskConnection
from ..models.helpdesk_connections import new_url_token


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
    actions = ("rotate_url_token",)

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj):
        if obj.pk is None:
            return _("Shown once saved.")
        return settings.SITE_URL + obj.path

    def get_readonly_fields(self, request, obj=None):
        # The kind decides the URL and how calls are verified; the source keys the tickets.
        return (*self.readonly_fields, "kind", "source") if obj else self.readonly_fields

    @admin.action(description=_("Give the selected connections new webhook URLs (the old ones stop working)"))
    def rotate_url_token(self, request, queryset):
        # One row at a time: each gets its own token (a leaked URL is the credential of an
        # unsigned helpdesk, so this is how it is revoked).
        for connection in queryset:
            connection.url_token = new_url_token()
            connection.save(update_fields=["url_token"])
        self.message_user(
            request,
            _("New webhook URLs given: paste them into the helpdesks (%(n)d).") % {"n": queryset.count()},
            messages.WARNING,
        )
