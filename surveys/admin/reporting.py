"""API tokens (the key is shown once, when created) and the log of data exports (read-only)."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from ..models import ApiToken, DataExport


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    actions = ("revoke",)

    def save_model(self, request, obj, form, change):
        if not change:
            # Only the hash is stored; the key lives on this instance until the page below.
            obj.new_key = obj.set_new_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new key once, on its own page and never in the messages cookie (which is
        signed, not encrypted) nor in a redirect. The page is not cached anywhere."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "key": obj.new_key,
            "title": _("Your new API token"),
        }
        page = TemplateResponse(request, "admin/surveys/apitoken/created.html", context)
        add_never_cache_headers(page)
        return page

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count}, messages.SUCCESS)


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "format", "rows", "finished_at")
    list_filter = ("kind", "format")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = ("user", "kind", "format", "filters", "rows", "created_at", "finished_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
