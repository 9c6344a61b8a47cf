"""Report reads: summary, comparison, trend and breakdown. Each is a fixed number of queries.

All figures come from ``aggregates.py`` (counts in SQL) and ``metrics.py`` (figures from counts), read through
``counts`` (daily rollups where they answer, else the source rows), so the dashboard, the
API, the admin and the digest cannot disagree.
"""


from django.conf import settings
from django.db.models import Q

from ..models import Target
from . import compare, metrics
from .aggregates import empty_counts
from .catalogue import METRICS, TILES, figures_from_counts
from .counts import counts
from .filters import ReportFilters
from .grains import LABELS
from .periods import bucket_starts
from .rollups_read import Bucket, Periods

BUCKETS = ("day", "week", "month")
# Breakdown dimensions (surveys/reports/grains.py reads each from every record kind).
DIMENSIONS = ("agent", "team", "category", "priority", "channel", "segment", "campaign")
# Metrics read from a median: which duration each needs.
DURATION_METRICS = {"first_response_time": "frt", "resolution_time": "res"}


def _medians(metrics_: list[str]) -> tuple[str, ...]:
    return tuple(DURATION_METRICS[m] for m in metrics_ if m in DURATION_METRICS)


def summaries(periods: list[ReportFilters]) -> list[dict]:
    """Every headline figure for each of consecutive periods with the same filters, in the API
    shape. Three queries whatever the number of periods (plus one or two for the medians)."""
    return _summaries(periods)[0]


def _summaries(periods: list[ReportFilters]) -> tuple[list[dict], list[dict]]:
    """``summaries``, and for each period the moments of its means (``{name: (n, sum, sum of
    squares)}`` for ``compare.mean_sample``), from the same counts."""
    span = periods[0].with_period(periods[0].start, periods[-1].end)
    time = Periods((periods[0].start, *(p.end for p in periods))) if len(periods) > 1 else None
    out = [{"period": {"start": p.start, "end": p.end}} for p in periods]
    moments: list[dict] = [{} for _p in periods]
    for source in ("survey", "ticket", "invitation"):
        found = counts(source, span, time=time, percentiles=("frt", "res") if source == "ticket" else ())
        for i, figures in enumerate(out):
            c = found.get((i,) if time else ()) or empty_counts(source)
            figures |= figures_from_counts(source, c)
            if source == "survey":
                figures["responses"] = {"n": c["responses"], "partial": c["partial"]}
            for name, _column in metrics.MEANS.get(source, ()):
                moments[i][name] = (c[f"{name}_n"], c[f"{name}_sum"], c[f"{name}_sq"])
    return out, moments


def summary(filters: ReportFilters) -> dict:
    """Every headline figure for the filters, in the API shape."""
    return summaries([filters])[0]


def targets_for(filters: ReportFilters) -> dict[str, Target]:
    """The target of each metric for the period: the most specific, then the most recent.

    A target applies when its period overlaps the report's and it is either general or set
    for the campaign or team being looked at. One query.
    """
    qs = Target.objects.filter(period_start__lt=filters.end, period_end__gt=filters.start)
    qs = qs.filter(Q(campaign__isnull=True) | Q(campaign_id=filters.campaign))
    qs = qs.filter(Q(team__isnull=True) | Q(team_id=filters.team))
    chosen: dict[str, Target] = {}
    for target in qs.order_by("period_start"):
        current = chosen.get(target.metric)
        specificity = (target.campaign_id is not None) + (target.team_id is not None)
        if current is None or specificity >= (current.campaign_id is not None) + (
            current.team_id is not None
        ):
            chosen[target.metric] = target
    return chosen


def meets(value: float, comparison: str, limit: float) -> bool:
    """``value`` compared with a goal's ``limit`` (a Comparison), unrounded."""
    return {"lt": value < limit, "lte": value <= limit, "gt": value > limit, "gte": value >= limit}[comparison]


def target_met(target: Target | None, value: float | None) -> bool | None:
    if target is None or value is None:
        return None
    return meets(value, target.comparison, float(target.value))


def comparisons(filters: ReportFilters, *, targets: dict | None = None) -> list[dict]:
    """Each headline metric against the previous period and its target (``summary_compared``)."""
    return summary_compared(filters, targets=targets)[1]


def summary_compared(filters: ReportFilters, *, targets: dict | None = None) -> tuple[dict, list[dict]]:
    """The period's summary (API shape) and each headline metric against the previous period of the same length and its target.

    The one place a change is decided (tests of the difference in ``compare``), for the
    dashboard tiles, admin figures, summary report, digest and API alike: no change and no
    significance when either side has fewer than ``REPORT_MIN_SAMPLE`` records. Four queries
    (plus the medians').
    """
    previous_filters = filters.previous()
    (previous, current), (moments_before, moments_now) = _summaries([previous_filters, filters])
    if targets is None:
        targets = targets_for(filters)
    minimum = settings.REPORT_MIN_SAMPLE
    out = []
    for key in TILES:
        spec = METRICS[key]
        value, n, interval = spec.read(current)
        before, _before_n, _before_interval = spec.read(previous)
        now_sample, before_sample = spec.sample(current, moments_now), spec.sample(previous, moments_before)
        # Medians are tested through the means of the same durations (docs/metrics.md).
        median = spec.unit == "seconds"
        found = compare.compare(
            now_sample,
            before_sample,
            minimum,
            shown=value if median else None,
            shown_previous=before if median else None,
        )
        shown = metrics.shown(n, minimum)
        target = targets.get(key)
        target_met = target_met_if_shown(target, value, shown)
        out.append(
            {
                "spec": spec,
                "value": value,
                "n": n,
                "interval": interval,
                "shown": shown,
                "previous": before,
                "previous_n": found["previous_n"],
                "change": found["change"],
                "se": found["se"],
                "significant": found["significant"],
                "too_few": found["too_few"],
                "target": target,
                "target_met": target_met,
                "target_significant": (
                    None
                    if target is None or median
                    else compare.against_target(now_sample, float(target.value), minimum)
                ),
            }
        )
    return current, out


def target_met_if_shown(target: Target | None, value: float | None, shown: bool) -> bool | None:
    """Met or missed, unknown below the minimum sample (too few to compare with a target)."""
    return target_met(target, value) if shown else None


def tiles(filters: ReportFilters, *, targets: dict | None = None) -> list[dict]:
    """KPI tiles: value, n, interval, change against the previous period and the target."""
    return comparisons(filters, targets=targets)


def comparison_api(rows: list[dict], filters: ReportFilters) -> dict:
    """The comparisons in the API's shape (docs/api.md): raw numbers, never rounded."""
    previous = filters.previous()
    return {
        "previous_period": {"start": previous.start, "end": previous.end},
        "min_sample": settings.REPORT_MIN_SAMPLE,
        "metrics": {
            row["spec"].key: {
                "value": row["value"],
                "n": row["n"],
                "previous": row["previous"],
                "previous_n": row["previous_n"],
                "change": row["change"],
                "significant": row["significant"],
                "too_few_to_compare": row["too_few"],
                "target": None
                if row["target"] is None
                else {
                    "value": float(row["target"].value),
                    "comparison": row["target"].comparison,
                    "met": row["target_met"],
                    "significant": row["target_significant"],
                },
            }
            for row in rows
        },
    }


def trend(filters: ReportFilters, metric: str, bucket: str) -> list[dict]:
    """The metric per bucket with n; empty buckets have a null value. One query (two for a
    duration's median)."""
    spec = METRICS[metric]
    grouped = counts(spec.source, filters, time=Bucket(bucket), percentiles=_medians([metric]))
    by_day = {key[0]: c for key, c in grouped.items()}
    points = []
    for start in bucket_starts(filters.start, filters.end, bucket):
        c = by_day.get(start) or empty_counts(spec.source)
        value, n, _interval = spec.read(figures_from_counts(spec.source, c))
        points.append({"bucket": start, "value": value, "n": n})
    return points


def _by(source: str, filters: ReportFilters, by: str, percentiles: tuple[str, ...]) -> dict:
    """``{key: (label, counts)}`` for one dimension; ids carry their name as label."""
    labelled = by in LABELS
    found = counts(source, filters, (by,), labels=labelled, percentiles=percentiles)
    return {key[0]: (key[1] if labelled else key[0], c) for key, c in found.items()}


BREAKDOWN_COLUMNS = ("nps", "csat", "complaint_rate", "fcr", "resolution_time", "sla_resolution")


def breakdown_table(filters: ReportFilters, by: str, columns=BREAKDOWN_COLUMNS) -> list[dict]:
    """One row per value of the dimension with a cell per metric column. One query per record
    kind (and one for the medians)."""
    sources = {METRICS[c].source for c in columns}
    medians = _medians(list(columns))
    grouped = {}
    for source in sorted(sources):
        for key, (label, c) in _by(source, filters, by, medians if source == "ticket" else ()).items():
            grouped.setdefault(key, {"label": label})[source] = figures_from_counts(source, c)
    rows = []
    minimum = settings.REPORT_MIN_SAMPLE
    for key, entry in grouped.items():
        cells = []
        for column in columns:
            spec = METRICS[column]
            figures = entry.get(spec.source) or figures_from_counts(
                spec.source, empty_counts(spec.source)
            )
            value, n, _interval = spec.read(figures)
            cells.append(
                {
                    "metric": column,
                    "unit": spec.unit,
                    "value": value,
                    "n": n,
                    "shown": metrics.shown(n, minimum),
                }
            )
        rows.append(
            {"key": key, "label": entry["label"] if entry["label"] not in (None, "") else "—", "cells": cells}
        )
    rows.sort(key=lambda r: (-max(c["n"] for c in r["cells"]), str(r["label"])))
    return rows


def breakdown(filters: ReportFilters, metric: str, by: str) -> list[dict]:
    """The metric for each value of a dimension, largest n first. One query (two for a
    duration's median)."""
    spec = METRICS[metric]
    rows = []
    for key, (label, c) in _by(spec.source, filters, by, _medians([metric])).items():
        value, n, _interval = spec.read(figures_from_counts(spec.source, c))
        rows.append(
            {
                "key": key,
                "label": label if label not in (None, "") else None,
                "value": value,
                "n": n,
                "shown": metrics.shown(n, settings.REPORT_MIN_SAMPLE),
            }
        )
    rows.sort(key=lambda r: (-r["n"], str(r["label"] or "")))
    return rows
