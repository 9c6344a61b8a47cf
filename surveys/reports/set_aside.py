"""How many one-click scores of a period were set aside as likely mail-scanner clicks.

None of them is in any figure (they never become responses, services/score_clicks.py); the
dashboard and the summary API show their number beside n so a manager sees what was left out.
"""

from ..models import ClickVerdict, ScoreClick
from .filters import ReportFilters


def scanner_clicks_set_aside(filters: ReportFilters) -> int:
    """Set-aside clicks made in the period (by ``clicked_at``) on invitations the filters
    select (campaign, and the ticket's team, agent, category, priority, channel, segment).
    One query, on the partial index of set-aside clicks."""
    low, high = filters.bounds
    clicks = ScoreClick.objects.filter(verdict=ClickVerdict.SET_ASIDE, clicked_at__gte=low, clicked_at__lt=high)
    if filters.campaign:
        clicks = clicks.filter(invitation__campaign_id=filters.campaign)
    return clicks.filter(filters._ticket_q("invitation__ticket__")).count()
