"""Reads for the follow-up case pages: who may see which cases, and the lists (docs/follow-ups.md)."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .models import FollowUp, FollowUpStatus
from .roles import AGENTS, MANAGERS

WORK_ALL = "surveys.change_followup"
WORK_OWN = "surveys.view_own_reports"
CASE_LISTS = ("open", "overdue", "closed", "all")


def followup_scope(user):
    """``None`` when the user may see and work every case (managers), else the user, who may
    see only the cases they own (agents). Raises PermissionDenied for anyone else."""
    if not user.is_authenticated:
        raise PermissionDenied
    if user.has_perm(WORK_ALL):
        return None
    if user.has_perm(WORK_OWN):
        return user
    raise PermissionDenied


def overdue_q(now: datetime) -> Q:
    """Open cases whose due time has passed (a case due exactly now is overdue)."""
    return ~Q(status=FollowUpStatus.CLOSED) & Q(due_at__lte=now)


def followups_for(*, user, which: str, now: datetime) -> QuerySet[FollowUp]:
    """The cases ``user`` may see, in list ``which`` (one of CASE_LISTS), most urgent first."""
    scope = followup_scope(user)
    cases = FollowUp.objects.select_related("ticket", "owner", "response__invitation__customer")
    if scope is not None:
        cases = cases.filter(owner=scope)
    if which == "open":
        cases = cases.exclude(status=FollowUpStatus.CLOSED)
    elif which == "overdue":
        cases = cases.filter(overdue_q(now))
    elif which == "closed":
        cases = cases.filter(status=FollowUpStatus.CLOSED)
    return (
        cases.order_by("due_at", "created_at", "pk")
        if which != "closed"
        else cases.order_by("-closed_at", "pk")
    )


def followup_for(*, user, pk: int) -> FollowUp:
    """One case, if ``user`` may see it; PermissionDenied otherwise, FollowUp.DoesNotExist
    when there is no such case."""
    scope = followup_scope(user)
    followup = (
        FollowUp.objects.select_related(
            "ticket", "owner", "response__invitation__customer", "response__invitation__campaign"
        )
        .prefetch_related("response__answers__question", "emails")
        .get(pk=pk)
    )
    if scope is not None and followup.owner_id != scope.pk:
        raise PermissionDenied
    return followup


def case_owner_choices() -> QuerySet:
    """People a case can be given to: active managers, agents and superusers."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=[MANAGERS, AGENTS]))
        .distinct()
        .order_by("username")
    )
