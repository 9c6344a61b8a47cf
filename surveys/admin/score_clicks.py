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

    @admin.display(description=_("ticket"), ordering="invitation__ticket__external_id")
    def ticket(self, obj):
        return obj.invitation.ticket

    @admin.display(description=_("campaign"), ordering="invitation__campaign__name")
    def campaign(self, obj):
        return obj.invitation.campaign
