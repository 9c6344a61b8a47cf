"""Who may read which figures: managers (and superusers) all, agents only their own."""

from django.core.exceptions import PermissionDenied

from ..models import Agent

VIEW_ALL = "surveys.view_reports"
VIEW_OWN = "surveys.view_own_reports"
EXPORT = "surveys.export_data"


def report_agent_scope(user) -> int | None:
    """``None`` when the user may read every figure, else the id of the only agent they may read.

    Raises PermissionDenied for anyone else, and for an agent login linked to no agent.
    """
    if not user.is_authenticated:
        raise PermissionDenied
    if user.has_perm(VIEW_ALL):
        return None
    if user.has_perm(VIEW_OWN):
        agent_id = Agent.objects.filter(user=user).values_list("pk", flat=True).first()
        if agent_id is not None:
            return agent_id
    raise PermissionDenied


def can_export(user) -> bool:
    return user.is_authenticated and user.has_perm(EXPORT)
