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

from ..models import FollowUpStatus
from ..services.responses import DETRACTOR_MAX_NPS
from . import formatting, metrics
from .aggregates import PercentileCont, is_postgres
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


# From opening to first contact; NULL without a first contact, and aggregates skip NULLs.
WAIT = ExpressionWrapper(
    F("followup__first_contact_at") - F("followup__created_at"), output_field=DurationField()
)
# Re-survey score minus the first; NULL unless both are there.
CHANGE = F("followup__resurvey__response__nps_score") - F("nps_score")


def followup_figures(filters: ReportFilters, *, now: datetime) -> dict:
    """Share followed up, median time to first contact, overdue cases and recovery for the
    period's detractors and complaints (docs/metrics.md).

    One query on PostgreSQL: the cohort's responses, each joined to its case and its case's
    re-survey answer (all one-to-one, so no row counts twice). SQLite reads the waits for
    the median in a second one.
    """
    minimum = settings.REPORT_MIN_SAMPLE
    not_closed = Q(followup__isnull=False) & ~Q(followup__status=FollowUpStatus.CLOSED)
    both_scores = Q(nps_score__isnull=False, followup__resurvey__response__nps_score__isnull=False)
    aggregates = {
        "n": Count("pk"),
        "contacted": Count("pk", filter=Q(followup__first_contact_at__isnull=False)),
        "open": Count("pk", filter=not_closed),
        "overdue": Count("pk", filter=not_closed & Q(followup__due_at__lte=now)),
        "resurveyed": Count("pk", filter=both_scores),
        "change": Avg(CHANGE, filter=both_scores),
        "recovered": Count(
            "pk", filter=both_scores & Q(followup__resurvey__response__nps_score__gte=RECOVERED_MIN_NPS)
        ),
    }
    postgres = is_postgres()
    if postgres:
        aggregates["median"] = PercentileCont(Extract(WAIT, "epoch"), fractions=(0.5,))
    row = _flagged(filters).aggregate(**aggregates)
    if postgres:
        median_s = row["median"][0] if row["median"] else None
    else:
        waits = _flagged(filters).filter(followup__first_contact_at__isnull=False).annotate(wait=WAIT)
        median_s = metrics.percentile(
            sorted(w.total_seconds() for w in waits.values_list("wait", flat=True)), 0.5
        )
    flagged = {"n": row["n"], "contacted": row["contacted"]}
    contacted_n = row["contacted"]
    state = {"open": row["open"], "overdue": row["overdue"]}
    resurveyed = {"n": row["resurveyed"], "change": row["change"], "recovered": row["recovered"]}
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
