"""Report reads: summary, comparison, trend and breakdown. Each is a fixed number of queries.

All figures come from ``surveys.metrics`` (counts in SQL, figures from counts), so the
dashboard, the API, the admin and the digest cannot disagree.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DateTimeField, F, Q
from django.db.models.functions import Coalesce, Trunc

from .. import metrics
from ..models import Target
from .catalogue import METRICS, TILES, figures_from_counts
from .filters import ReportFilters

BUCKETS = ("day", "week", "month")
# Breakdown dimensions: (path on Ticket, label path on Ticket or None when the key is the label).
DIMENSIONS = {
    "agent": ("agent_id", "agent__name"),
    "team": ("team_id", "team__name"),
    "category": ("category", None),
    "priority": ("priority", None),
    "channel": ("channel", None),
    "segment": ("customer__segment", None),
    "campaign": ("invitations__campaign_id", "invitations__campaign__name"),
}
# How each record kind reaches its ticket.
TICKET_PATH = {"survey": "invitation__ticket__", "ticket": "", "invitation": "ticket__"}


def _queryset(filters: ReportFilters, source: str):
    if source == "survey":
        return filters.responses()
    if source == "ticket":
        return filters.tickets()
    return filters.invitations()


def _counts(source: str, queryset, group=None) -> dict:
    if source == "survey":
        return metrics.survey_counts(queryset, group)
    if source == "ticket":
        return metrics.ticket_counts(queryset, group)
    return metrics.invitation_counts(queryset, group)


def summary(filters: ReportFilters) -> dict:
    """Every headline figure for the filters, in the API shape. Three queries (four on SQLite)."""
    out = {"period": {"start": filters.start, "end": filters.end}}
    for source in ("survey", "ticket", "invitation"):
        counts = _counts(source, _queryset(filters, source))[None]
        out |= figures_from_counts(source, counts)
        if source == "survey":
            out["responses"] = {"n": counts["responses"], "partial": counts["partial"]}
    return out


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


def target_met(target: Target | None, value: float | None) -> bool | None:
    if target is None or value is None:
        return None
    limit = float(target.value)
    return {"lt": value < limit, "lte": value <= limit, "gt": value > limit, "gte": value >= limit}[
        target.comparison
    ]


def tiles(filters: ReportFilters, *, targets: dict | None = None) -> list[dict]:
    """KPI tiles: value, n, interval, change against the previous period and the target."""
    current, previous = summary(filters), summary(filters.previous())
    if targets is None:
        targets = targets_for(filters)
    out = []
    for key in TILES:
        spec = METRICS[key]
        value, n, interval = spec.read(current)
        before, before_n, before_interval = spec.read(previous)
        overlap = metrics.intervals_overlap(interval, before_interval)
        target = targets.get(key)
        out.append(
            {
                "spec": spec,
                "value": value,
                "n": n,
                "interval": interval,
                "shown": metrics.shown(n, settings.REPORT_MIN_SAMPLE),
                "previous": before,
                "previous_n": before_n,
                "change": None if value is None or before is None else value - before,
                "significant": overlap is False,
                "target": target,
                "target_met": target_met(target, value),
            }
        )
    return out


def _bucket_expression(source: str, bucket: str):
    tz = ZoneInfo(settings.TIME_ZONE)
    if source == "survey":
        return Trunc("started_at", bucket, output_field=DateTimeField(), tzinfo=tz)
    if source == "invitation":
        return Trunc("sent_at", bucket, output_field=DateTimeField(), tzinfo=tz)
    return Trunc(Coalesce("closed_at", "resolved_at"), bucket, output_field=DateTimeField(), tzinfo=tz)


def bucket_starts(start: date, end: date, bucket: str) -> list[date]:
    """Every bucket that overlaps ``[start, end)``, in order."""
    if bucket == "day":
        first = start
    elif bucket == "week":
        first = start - timedelta(days=start.weekday())
    else:
        first = start.replace(day=1)
    out, current = [], first
    while current < end:
        out.append(current)
        if bucket == "day":
            current += timedelta(days=1)
        elif bucket == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return value


def trend(filters: ReportFilters, metric: str, bucket: str) -> list[dict]:
    """The metric per bucket with n; empty buckets have a null value. One query (two on SQLite)."""
    spec = METRICS[metric]
    grouped = _counts(
        spec.source, _queryset(filters, spec.source), {"bucket": _bucket_expression(spec.source, bucket)}
    )
    by_day = {_as_date(key): counts for key, counts in grouped.items()}
    points = []
    for start in bucket_starts(filters.start, filters.end, bucket):
        counts = by_day.get(start) or metrics.empty_counts(spec.source)
        value, n, interval = spec.read(figures_from_counts(spec.source, counts))
        points.append({"bucket": start, "value": value, "n": n})
    return points


def _group_for(source: str, by: str) -> tuple[dict, bool]:
    """The GROUP BY of a dimension for one record kind, and whether it carries a label."""
    path, label_path = DIMENSIONS[by]
    prefix = TICKET_PATH[source]
    # Responses and invitations belong to one campaign directly, tickets through invitations.
    if by == "campaign" and source == "survey":
        prefix, path, label_path = "", "invitation__campaign_id", "invitation__campaign__name"
    elif by == "campaign" and source == "invitation":
        prefix, path, label_path = "", "campaign_id", "campaign__name"
    group = {"key": F(f"{prefix}{path}")}
    if label_path:
        group["label"] = F(f"{prefix}{label_path}")
    return group, bool(label_path)


BREAKDOWN_COLUMNS = ("nps", "csat", "complaint_rate", "fcr", "resolution_time", "sla_resolution")


def breakdown_table(filters: ReportFilters, by: str, columns=BREAKDOWN_COLUMNS) -> list[dict]:
    """One row per value of the dimension with a cell per metric column. One query per record kind."""
    sources = {METRICS[c].source for c in columns}
    grouped = {}
    for source in sources:
        group, labelled = _group_for(source, by)
        for key, counts in _counts(source, _queryset(filters, source), group).items():
            key, label = key if labelled else (key, key)
            grouped.setdefault(key, {"label": label})[source] = figures_from_counts(source, counts)
    rows = []
    for key, entry in grouped.items():
        cells = []
        for column in columns:
            spec = METRICS[column]
            figures = entry.get(spec.source) or figures_from_counts(
                spec.source, metrics.empty_counts(spec.source)
            )
            value, n, _interval = spec.read(figures)
            cells.append(
                {
                    "metric": column,
                    "unit": spec.unit,
                    "value": value,
                    "n": n,
                    "shown": metrics.shown(n, settings.REPORT_MIN_SAMPLE),
                }
            )
        rows.append(
            {"key": key, "label": entry["label"] if entry["label"] not in (None, "") else "—", "cells": cells}
        )
    rows.sort(key=lambda r: (-max(c["n"] for c in r["cells"]), str(r["label"])))
    return rows


def breakdown(filters: ReportFilters, metric: str, by: str) -> list[dict]:
    """The metric for each value of a dimension, largest n first. One query (two on SQLite)."""
    spec = METRICS[metric]
    group, label_path = _group_for(spec.source, by)
    grouped = _counts(spec.source, _queryset(filters, spec.source), group)
    rows = []
    for key, counts in grouped.items():
        key, label = key if label_path else (key, key)
        value, n, interval = spec.read(figures_from_counts(spec.source, counts))
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
