"""Where each role starts: the address of a signed-in user's home (see views/home.py)."""

from django.urls import reverse

from .models import Agent
from .reports.access import VIEW_ALL, VIEW_OWN

DESIGNER_HOME_PERM = "surveys.view_campaign"


def home_url_for(user) -> str | None:
    """The URL a signed-in user's home sends them to, or ``None`` when they have no role.

    Managers and superusers (who hold every permission) go to the dashboard first; then an
    agent login linked to an agent goes to its own scores; then staff who may see campaigns
    (the designers) to the admin's campaign list.
    """
    if user.has_perm(VIEW_ALL):
        return reverse("surveys:reports")
    if user.has_perm(VIEW_OWN) and Agent.objects.filter(user=user).exists():
        return reverse("surveys:my_scores")
    if user.is_staff and user.has_perm(DESIGNER_HOME_PERM):
        return reverse("admin:surveys_campaign_changelist")
    return None
