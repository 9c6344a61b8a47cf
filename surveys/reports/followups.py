"""The follow-up figures of the dashboard and the API, per docs/metrics.md ("Follow-up cases").

Every figure is an aggregate in the database (the median on SQLite excepted: there, as for
ticket durations, the same interpolation in Python), carries its n, and is None below
``REPORT_MIN_SAMPLE``. The cohort is the period's detractor and complaint responses (by the
response's first-recorded time, like every survey metric), with the report's filters.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Extract

from .. import metrics
from ..models import FollowUp, FollowUpStatus
from ..services.responses import DETRACTOR_MAX_NPS
from . import formatting
from .filters import ReportFilters

# A re-survey score of 7 or more is no longer a detractor's (docs/metrics.md, NPS bands).
RECOVERED_MIN_NPS = DETRACTOR_MAX_NPS + 1


def _flagged(filters: ReportFilters):
    # A re-survey's answer is the recovery measure of its case, not a new case to follow up.
    return filters.responses().filter(
        Q(is_complaint=True) | Q(nps_score__lte=DETRACTOR_MAX_NPS), invitation__resurvey_of__isnull=True
    )


def _figure(value: float | None, n: int, minimum: int, **extra) -> dict:
    shown = metrics.shown(n, minimum) and value is not None
    return {"value": value if shown else None, "n": n, "shown": shown, **extra}


def _median_first_contact_s(cases) -> tuple[float | None, int]:
    contacted = cases.filter(first_contact_at__isnull=False)
    wait = ExpressionWrapper(F("first_contact_at") - F("created_at"), output_field=DurationField())
    if metrics.is_postgres():
        row = contacted.aggregate(
            n=Count("pk"), p=metrics.PercentileCont(Extract(wait, "epoch"), fractions=(0.5,))
        )
        return (row["p"][0] if row["p"] else None), row["n"]
    waits = sorted(d.total_seconds() for d in contacted.annotate(wait=wait).values_list("wait", flat=True))
    return metrics.percentile(waits, 0.5), len(waits)


def followup_figures(filters: ReportFilters, *, now: datetime) -> dict:
    """Share followed up, median time to first contact, overdue cases and recovery for the
    period's detractors and complaints (docs/metrics.md). Four queries."""
    minimum = settings.REPORT_MIN_SAMPLE
    flagged = _flagged(filters).aggregate(
        n=Count("pk"), contacted=Count("pk", filter=Q(followup__first_contact_at__isnull=False))
    )
    cases = FollowUp.objects.filter(response__in=_flagged(filters).values("pk"))
    median_s, contacted_n = _median_first_contact_s(cases)
    not_closed = ~Q(status=FollowUpStatus.CLOSED)
    state = cases.aggregate(
        open=Count("pk", filter=not_closed),
        overdue=Count("pk", filter=not_closed & Q(due_at__lte=now)),
    )
    resurveyed = cases.filter(
        response__nps_score__isnull=False, resurvey__response__nps_score__isnull=False
    ).aggregate(
        n=Count("pk"),
        change=Avg(F("resurvey__response__nps_score") - F("response__nps_score")),
        recovered=Count("pk", filter=Q(resurvey__response__nps_score__gte=RECOVERED_MIN_NPS)),
    )
    return {
        "min_sample": minimum,
        "followed_up": _figure(
            metrics.ratio_pct(flagged["contacted"], flagged["n"]),
            flagged["n"],
            minimum,
            count=flagged["contacted"],
        ),
        "first_contact_median_s": _figure(median_s, contacted_n, minimum),
        # A count needs no sample; its share of the open cases does.
        "overdue": _figure(
            metrics.ratio_pct(state["overdue"], state["open"]), state["open"], minimum, count=state["overdue"]
        ),
        "recovery_change": _figure(
            float(resurveyed["change"]) if resurveyed["change"] is not None else None,
            resurveyed["n"],
            minimum,
        ),
        "recovered": _figure(
            metrics.ratio_pct(resurveyed["recovered"], resurveyed["n"]),
            resurveyed["n"],
            minimum,
            count=resurveyed["recovered"],
        ),
    }


def followup_display(figures: dict) -> dict:
    """The figures as the dashboard shows them: "—" below the minimum sample, rounded."""
    shown = {
        "followed_up": formatting.value(figures["followed_up"]["value"], "pct"),
        "first_contact_median_s": formatting.duration(figures["first_contact_median_s"]["value"]),
        "overdue": formatting.value(figures["overdue"]["value"], "pct"),
        "recovery_change": formatting.change(figures["recovery_change"]["value"], "mean") or "—",
        "recovered": formatting.value(figures["recovered"]["value"], "pct"),
    }
    return {
        key: (dict(figure, display=shown[key]) if key in shown else figure) for key, figure in figures.items()
    }
