"""The follow-up figures of the dashboard and the API, per docs/metrics.md ("Follow-up cases").

Every figure is an aggregate in the database (the median on SQLite excepted: there, as for
ticket durations, the same interpolation in Python), carries its n, and is None below
``REPORT_MIN_SAMPLE``. The cohort is the period's detractor and complaint responses (by the
response's first-recorded time, like every survey metric), with the report's filters.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.db.models.functions import Extract

from ..replica import reports_connection
from . import followup_facts, formatting, metrics, rollups_read
from .aggregates import PercentileCont, is_postgres
from .filters import ReportFilters
from .followup_facts import BOTH_SCORES, CHANGE, NOT_CLOSED, READ, RECOVERED_MIN_NPS, WAIT


def _flagged(filters: ReportFilters):
    return followup_facts.cohort(filters.responses())


def _figure(value: float | None, n: int, minimum: int, **extra) -> dict:
    shown = metrics.shown(n, minimum) and value is not None
    return {"value": value if shown else None, "n": n, "shown": shown, **extra}


def followup_figures(filters: ReportFilters, *, now: datetime) -> dict:
    """Share followed up, median time to first contact, overdue cases and recovery for the
    period's detractors and complaints (docs/metrics.md).

    One query on PostgreSQL. With usable rollups: FollowUpFact's narrow rows for the closed
    days and the live days' cohort, one UNION ALL. Without: the cohort's responses, each
    joined to its case and its case's re-survey answer (all one-to-one, so no row counts
    twice). SQLite reads the waits for the median in a second query either way.
    """
    return _shaped(followup_counts(filters, now=now), settings.REPORT_MIN_SAMPLE)


def followup_counts(filters: ReportFilters, *, now: datetime) -> dict:
    """The cohort's counts, mean change and median wait (seconds) behind the figures."""
    cov = rollups_read.coverage()
    return _from_facts(filters, now, cov) if cov is not None else _from_source(filters, now, is_postgres())


def _from_source(filters: ReportFilters, now: datetime, postgres: bool) -> dict:
    not_closed = NOT_CLOSED
    both_scores = BOTH_SCORES
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
    row["median"] = median_s
    return row


# The figures over the cohort rows u (wait_s, open, due_at, change, recovered).
FACTS_COUNTS = (
    "SELECT COUNT(*), COUNT(u.wait_s), COUNT(*) FILTER (WHERE u.open), "
    "COUNT(*) FILTER (WHERE u.open AND u.due_at <= %s), COUNT(u.change), AVG(u.change), "
    "COUNT(*) FILTER (WHERE u.recovered)"
)
FACTS_SQL = (
    FACTS_COUNTS + ", percentile_cont(0.5) WITHIN GROUP (ORDER BY u.wait_s) "
    "FROM ({rows}) u(wait_s, open, due_at, change, recovered)"
)
# SQLite: no column list on a subquery (a CTE's instead) and no percentile_cont; the median
# is interpolated in Python from the sorted waits, as the source read does there.
FACTS_CTE = "WITH u(wait_s, open, due_at, change, recovered) AS ({rows}) "
FACTS_SQL_SQLITE = FACTS_CTE + FACTS_COUNTS + " FROM u"
WAITS_SQL_SQLITE = (
    "WITH u(wait_s, open, due_at, change, recovered) AS ({rows}) "
    "SELECT u.wait_s FROM u WHERE u.wait_s IS NOT NULL ORDER BY u.wait_s"
)


def _from_facts(filters: ReportFilters, now: datetime, cov: rollups_read.Coverage) -> dict:
    """The same figures in one query: FollowUpFact for the closed days and the live days'
    cohort rows read through the same expressions, in one UNION ALL under the aggregates."""
    closed_end = min(filters.end, cov.cutoff)
    parts = []
    if filters.start < closed_end:
        parts.append(followup_facts.closed_rows(filters, closed_end).order_by().values_list(*READ))
    live = rollups_read.live_filters(filters, cov)
    if live is not None:
        found = followup_facts.columns()
        rows = _flagged(live).order_by().annotate(**{f"f_{k}": found[k] for k in READ})
        parts.append(rows.values_list(*(f"f_{k}" for k in READ)))
    if not parts:
        return {"n": 0, "contacted": 0, "open": 0, "overdue": 0, "resurveyed": 0, "change": None,
                "recovered": 0, "median": None}
    sql, params = rollups_read.union(parts).query.sql_with_params()
    # Only ORM-compiled SQL, with its parameters, inside a fixed statement.
    db = reports_connection()
    postgres = is_postgres()
    query = (FACTS_SQL if postgres else FACTS_SQL_SQLITE).replace("{rows}", sql)
    with db.cursor() as cursor:
        # The CTE's rows come before the instant on SQLite, after it in PostgreSQL's subquery.
        at = [now, *params] if postgres else [*params, db.ops.adapt_datetimefield_value(now)]
        cursor.execute(query, at)
        values = cursor.fetchone()
        if not postgres:
            cursor.execute(WAITS_SQL_SQLITE.replace("{rows}", sql), params)
            values = (*values, metrics.percentile([w for (w,) in cursor.fetchall()], 0.5))
    names = ("n", "contacted", "open", "overdue", "resurveyed", "change", "recovered", "median")
    return dict(zip(names, values, strict=True))


def _shaped(row: dict, minimum: int) -> dict:
    median_s = row["median"]
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
