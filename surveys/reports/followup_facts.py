"""FollowUpFact (surveys/models/rollups.py): the follow-up cohort, one narrow row per response,
written with the survey rollups and read by the follow-up figures (followups.py) for the
closed days. The cohort and every expression live here, shared by the write and the live read.
"""

from datetime import date, datetime

from django.db.models import (
    BooleanField,
    Case,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    Value,
    When,
)
from django.db.models.functions import Extract

from ..models import FollowUp, FollowUpStatus, Response
from ..models.rollups import FollowUpFact
from ..services.responses import DETRACTOR_MAX_NPS
from . import rollups_read
from .aggregates import is_postgres
from .grains import local_day

# A re-survey score of 7 or more is no longer a detractor's (docs/metrics.md, NPS bands).
RECOVERED_MIN_NPS = DETRACTOR_MAX_NPS + 1
# From opening to first contact; NULL without a first contact, and aggregates skip NULLs.
WAIT = ExpressionWrapper(
    F("followup__first_contact_at") - F("followup__created_at"), output_field=DurationField()
)
# Re-survey score minus the first; NULL unless both are there.
CHANGE = F("followup__resurvey__response__nps_score") - F("nps_score")
NOT_CLOSED = Q(followup__isnull=False) & ~Q(followup__status=FollowUpStatus.CLOSED)
BOTH_SCORES = Q(nps_score__isnull=False, followup__resurvey__response__nps_score__isnull=False)
RECOVERED = BOTH_SCORES & Q(followup__resurvey__response__nps_score__gte=RECOVERED_MIN_NPS)


def cohort(responses):
    """The detractors and complaints among ``responses``; a re-survey's answer is the recovery
    measure of its case, not a new case to follow up."""
    return responses.filter(
        Q(is_complaint=True) | Q(nps_score__lte=DETRACTOR_MAX_NPS), invitation__resurvey_of__isnull=True
    )


def wait_seconds():
    """WAIT in seconds. SQLite has no EXTRACT(EPOCH); there a duration is whole microseconds,
    the same number timedelta.total_seconds() divides (the source read's median on SQLite)."""
    if is_postgres():
        return Extract(WAIT, "epoch")
    return Func(WAIT, template="(%(expressions)s / 1000000.0)", output_field=FloatField())


def _flag(q: Q):
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def columns() -> dict:
    """How a cohort Response becomes a FollowUpFact row."""
    ticket = "invitation__ticket__"
    return {
        "response": F("pk"),
        "day": local_day("started_at"),
        "campaign": F("invitation__campaign_id"),
        "team": F(f"{ticket}team_id"),
        "agent": F(f"{ticket}agent_id"),
        "category": F(f"{ticket}category"),
        "priority": F(f"{ticket}priority"),
        "channel": F(f"{ticket}channel"),
        "segment": F(f"{ticket}customer__segment"),
        "wait_s": wait_seconds(),
        "open": _flag(NOT_CLOSED),
        "due_at": F("followup__due_at"),
        "change": CHANGE,
        "recovered": _flag(RECOVERED),
    }


# What the figures read of a row, closed or live, in this order.
READ = ("wait_s", "open", "due_at", "change", "recovered")


def write(responses, insert, select) -> None:
    """Replace the facts of ``responses`` with rows computed from them now (cohort members
    only). ``insert`` and ``select`` are rollups_write's INSERT … SELECT helpers."""
    FollowUpFact.objects.filter(response_id__in=responses.values("pk")).delete()
    found = columns()
    insert(FollowUpFact, list(found), select(cohort(responses), found))


def delete_days(days: list[date] | None) -> None:
    rows = FollowUpFact.objects.all()
    (rows if days is None else rows.filter(day__in=days)).delete()


def changed_response_ids(since: datetime, changed_responses: set[int]) -> set[int]:
    """Cohort responses whose facts a change since ``since`` touched without touching the
    response: their case changed, or their case's re-survey was answered or changed."""
    ids = set(FollowUp.objects.filter(updated_at__gt=since).values_list("response_id", flat=True))
    for batch in _chunks(sorted(changed_responses)):
        ids |= set(
            Response.objects.filter(followup__resurvey__response__pk__in=batch).values_list("pk", flat=True)
        )
    return ids


def _chunks(values, size: int = 900):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def closed_rows(filters, closed_end: date):
    return rollups_read.closed_rows(FollowUpFact.objects.all(), filters, closed_end)
