"""One-click scores with the evidence they were judged on, set-aside scanner clicks first."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import ScoreClick
from .widgets import ReadOnlyAdmin


@admin.register(ScoreClick)
class ScoreClickAdmin(ReadOnlyAdmin):
    """Read-only evidence: clicks are judged by services/score_clicks.py, never by hand."""

    list_display = (
        "clicked_at",
        "ticket",
        "campaign",
        "score",
        "source",
        "verdict",
        "reason",
        "seconds_since_sent",
        "nearby_clicks",
        "network",
        "user_agent",
    )
    list_filter = ("verdict", "reason", "source", "invitation__campaign")
    search_fields = ("invitation__ticket__external_id", "invitation__customer__email", "network", "user_agent")
    date_hierarchy = "clicked_at"
    list_select_related = ("invitation__ticket", "invitation__campaign")
    fields = (
        "invitation",
        "question",
        "score",
        "language",
        "source",
        "clicked_at",
        "provisional_until",
        "verdict",
        "reason",
        "seconds_since_sent",
        "nearby_clicks",
        "network",
        "user_agent",
    )

    def has_view_permission(self, request, obj=None):
        # Whoever may read responses may read the clicks judged on their way to one (the
        # staff roles are fixed by an early data migration, which predates this model).
        return request.user.has_perm("surveys.view_response") or super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description=_("ticket"), ordering="invitation__ticket__external_id")
    def ticket(self, obj):
        return obj.invitation.ticket

    @admin.display(description=_("campaign"), ordering="invitation__campaign__name")
    def campaign(self, obj):
        return obj.invitation.campaign
