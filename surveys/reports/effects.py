"""The measured effect of improvement actions: each action's metric before and after its start.

docs/metrics.md, "Improvement actions: before and after": the metric, in the action's scope
(campaign, team, category, channel), over ``[start − L, start)`` against ``[start, start + L)``
with ``L = min(days from the start to today, IMPROVEMENT_EFFECT_MAX_DAYS)``: two whole periods
of equal length, today (not over yet) in neither. The figures are the reports' own
(``reports/aggregates.py`` over the ``ReportFilters`` querysets, read through
``catalogue.METRICS``) and the change is decided by ``compare.compare``, as every comparison.

Batched: all actions' periods are read in one SQL statement (a UNION ALL with one row per
action and side, the medians of the times included), whatever the number of actions; on
SQLite one more reads the durations for the medians.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import FloatField, Value
from django.db.models.functions import Cast

from ..models import ImprovementAction, ImprovementStatus
from . import compare, metrics
from .aggregates import (
    PercentileCont,
    empty_counts,
    invitation_aggregates,
    is_postgres,
    survey_aggregates,
    ticket_aggregates,
)
from .catalogue import METRICS, figures_from_counts
from .figures import meets
from .filters import ReportFilters
from .rollups_read import select, source_rows, union

OPEN = (ImprovementStatus.PLANNED, ImprovementStatus.IN_PROGRESS)
# Every record kind's counts, in the order of ``reports/aggregates.py``; squares for the Welch tests.
AGGREGATES = {
    "survey": survey_aggregates,
    "ticket": lambda: ticket_aggregates(percentiles=False),
    "invitation": invitation_aggregates,
}


@dataclass(frozen=True)
class Side:
    """One period of one action: its filters and which record kind its metric counts."""

    filters: ReportFilters
    source: str


def effect_periods(action: ImprovementAction, *, today: date) -> tuple[ReportFilters, ReportFilters] | None:
    """``(before, after)`` for the action's metric and scope, or None when it has no metric or
    no whole day has passed since it started (nothing to compare yet)."""
    if action.metric not in METRICS:
        return None
    days = min((today - action.started_on).days, settings.IMPROVEMENT_EFFECT_MAX_DAYS)
    if days < 1:
        return None
    start = action.started_on
    scope = ReportFilters(
        start=start,
        end=start + timedelta(days=days),
        campaign=action.campaign_id,
        team=action.team_id,
        category=action.category,
        channel=action.channel,
    )
    return scope.with_period(start - timedelta(days=days), start), scope


def _names(source: str) -> list[str]:
    return list(AGGREGATES[source]())


def _part(slot: int, side: Side, width: int):
    """One row: the slot, then the side's counts as floats, padded to ``width`` (the UNION
    needs one shape for every record kind)."""
    aggregates = AGGREGATES[side.source]()
    columns = {f"c{i}": Cast(expression, FloatField()) for i, expression in enumerate(aggregates.values())}
    columns |= {f"c{i}": Cast(Value(None), FloatField()) for i in range(len(columns), width)}
    if is_postgres():
        # Exact medians of the ticket durations in the same row (``percentile_cont``).
        for prefix, column in metrics.DURATIONS:
            columns[f"{prefix}_p50"] = (
                PercentileCont(column, fractions=(0.5,))
                if side.source == "ticket"
                else Cast(Value(None), ArrayField(FloatField()))
            )
    return select(source_rows(side.source, side.filters), {"slot": Value(slot)}, columns)


def _counts(sides: list[Side]) -> list[dict]:
    """Each side's counts (``reports/aggregates.py`` names) and squares. One query."""
    width = max(len(_names(source)) for source in {side.source for side in sides})
    found = {row[0]: row[1:] for row in union([_part(i, side, width) for i, side in enumerate(sides)])}
    out = []
    for i, side in enumerate(sides):
        row = found.get(i)
        counts = empty_counts(side.source)
        if row is not None and is_postgres():
            for (prefix, _column), values in zip(metrics.DURATIONS, row[width:], strict=True):
                if side.source == "ticket":
                    counts[f"{prefix}_p50"] = values[0] if values else None
        if row is not None:
            for name, value in zip(_names(side.source), row, strict=False):
                if name.endswith(("_sum", "_sq", "_min", "_max")):
                    counts[name] = value if value is not None or name.endswith(("_min", "_max")) else 0
                else:
                    counts[name] = round(value or 0)  # a count, carried as a float by the UNION
        out.append(counts)
    return out


def _medians_python(sides: list[Side], out: list[dict]) -> None:
    """Exact medians of both durations for the ticket sides where the database has no
    ``percentile_cont`` (SQLite): the values in one query, the same interpolation in Python."""
    slots = [i for i, side in enumerate(sides) if side.source == "ticket"]
    if not slots:
        return
    columns = dict(metrics.DURATIONS)
    values: dict = {}
    parts = [
        sides[i].filters.tickets().order_by().annotate(slot=Value(i)).values_list("slot", *columns.values())
        for i in slots
    ]
    for slot, *durations in union(parts):
        for prefix, duration in zip(columns, durations, strict=True):
            if duration is not None:
                values.setdefault((slot, prefix), []).append(duration)
    for slot in slots:
        for prefix in columns:
            out[slot][f"{prefix}_p50"] = metrics.percentile(sorted(values.get((slot, prefix), [])), 0.5)


def _side(filters: ReportFilters, value, n: int, minimum: int) -> dict:
    return {
        "start": filters.start,
        "end": filters.end,
        "value": value,
        "n": n,
        "shown": metrics.shown(n, minimum),
    }


def _target(action: ImprovementAction, after: dict | None) -> dict | None:
    if action.target_value is None:
        return None
    reached = None
    if after is not None and after["shown"] and after["value"] is not None:
        reached = meets(after["value"], action.target_comparison, float(action.target_value))
    return {"value": float(action.target_value), "comparison": action.target_comparison, "reached": reached}


def _measured(spec, periods: tuple[ReportFilters, ReportFilters], counts: list[dict], minimum: int) -> dict:
    """Before against after, as ``figures.summary_compared`` compares two periods."""
    sides, samples = [], []
    for filters, c in zip(periods, counts, strict=True):
        figures = figures_from_counts(spec.source, c)
        moments = {
            name: (c[f"{name}_n"], c[f"{name}_sum"], c.get(f"{name}_sq"))
            for name, _c in metrics.MEANS.get(spec.source, ())
        }
        value, n, _interval = spec.read(figures)
        sides.append(_side(filters, value, n, minimum))
        samples.append(spec.sample(figures, moments))
    before, after = sides
    # Medians are tested through the means of the same durations (docs/metrics.md).
    median = spec.unit == "seconds"
    found = compare.compare(
        samples[1],
        samples[0],
        minimum,
        shown=after["value"] if median else None,
        shown_previous=before["value"] if median else None,
    )
    return {
        "days": periods[1].days,
        "before": before,
        "after": after,
        "change": found["change"],
        "significant": found["significant"],
        "too_few": found["too_few"],
    }


def action_effects(actions: list[ImprovementAction], *, today: date, measure: bool = True) -> list[dict]:
    """For each action: its periods, the metric on each side with n, the change and whether it
    is significant (``None`` — too few to compare — below ``REPORT_MIN_SAMPLE`` on either
    side), whether the target was reached after the start (``None`` below the minimum
    sample), and whether it is overdue (open past its due day). ``measure=False`` (an agent's
    view: figures beyond their own) leaves every figure out. One query for all the actions'
    counts and medians (SQLite: one more for the medians)."""
    minimum = settings.REPORT_MIN_SAMPLE
    periods = {a.pk: effect_periods(a, today=today) if measure else None for a in actions}
    sides = []
    for action in actions:
        if periods[action.pk] is not None:
            source = METRICS[action.metric].source
            sides += [Side(f, source) for f in periods[action.pk]]
    counts = _counts(sides) if sides else []
    if not is_postgres() and any(
        METRICS[a.metric].unit == "seconds" for a in actions if periods[a.pk] is not None
    ):
        _medians_python(sides, counts)
    out, at = [], 0
    for action in actions:
        row = {
            "action": action,
            "spec": METRICS.get(action.metric),
            "overdue": action.status in OPEN and action.due_on is not None and action.due_on < today,
            "measured": periods[action.pk] is not None,
            "days": None,
            "before": None,
            "after": None,
            "change": None,
            "significant": None,
            "too_few": True,
        }
        if periods[action.pk] is not None:
            row |= _measured(row["spec"], periods[action.pk], counts[at : at + 2], minimum)
            at += 2
        row["target"] = _target(action, row["after"])
        out.append(row)
    return out
