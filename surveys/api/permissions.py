"""The report permission for the API: the same rule as the dashboard."""

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from ..reports.access import report_agent_scope


class CanReadReports(BasePermission):
    """Managers and superusers read everything; agents only their own figures (see the views)."""

    def has_permission(self, request, view) -> bool:
        try:
            report_agent_scope(request.user)
        except PermissionDenied:
            return False
        return True
