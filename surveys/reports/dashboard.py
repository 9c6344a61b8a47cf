"""The dashboard's data in one place: a fixed number of queries whatever the data size."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Comparison, Metric
from ..replica import replica_configured, replica_lag_seconds
from . import formatting, metrics
from .catalogue import METRICS
from .drivers import drivers
from .effects import action_effects
from .figures import BREAKDOWN_COLUMNS, breakdown_table, targets_for, tiles, trend
from .filters import ReportFilters, site_today
from .followups import followup_display, followup_figures
from .nonresponse import non_response
from .options import filter_options, options_keeping_chosen
from .rollups_read import coverage
from .sections import TIME_BUCKETS, breaches, funnel, improvement_actions, time_distributions, verbatim_page

BREAKDOWN_TABS = ("agent", "team", "category", "priority", "channel")
CHART_METRICS = ("nps", "csat")


def default_bucket(filters: ReportFilters) -> str:
    if filters.days <= 45:
        return "day"
    return "week" if filters.days <= 200 else "month"


def tile_display(tile: dict) -> dict:
    unit = tile["spec"].unit
    shown = tile["shown"]
    tile["display"] = formatting.value(tile["value"], unit) if shown else "—"
    tile["moe_display"] = ""
    if shown and tile["spec"].key == "nps" and tile["interval"]:
        tile["moe_display"] = formatting.value((tile["interval"][1] - tile["interval"][0]) / 2, "score")
    # ``change`` is None below the minimum sample on either side: "too few to compare".
    tile["change_display"] = formatting.change(tile["change"], unit)
    tile["compare_display"] = (
        _("too few to compare (previous n = %(previous)s)") % {"previous": tile["previous_n"]}
        if tile["too_few"]
        else ""
    )
    if tile["change"] is not None and tile["change"] != 0:
        better = (tile["change"] > 0) == tile["spec"].higher_is_better
        tile["direction"] = "better" if better else "worse"
    target = tile["target"]
    tile["target_display"] = (
        f"{target.get_comparison_display()} {formatting.value(float(target.value), unit)}" if target else ""
    )
    return tile


def breaches_display(tickets: list) -> list:
    for ticket in tickets:
        ticket.first_response_display = formatting.duration(ticket.first_response_s)
        ticket.resolution_display = formatting.duration(ticket.resolution_s)
        ticket.overrun_display = formatting.duration(ticket.overrun_s)
    return tickets


def breakdown_row_query(filters: ReportFilters, by: str, key, bucket: str) -> str:
    """The dashboard's query string filtered to one breakdown row's value ("" when the row has
    none to filter by: no agent, no category). A team opens on its agents; other rows keep
    their tab."""
    if key in (None, ""):
        return ""
    drill = "agent" if by == "team" else by
    return filters.querystring(**{by: key, "bucket": bucket, "by": drill})


def drivers_display(factors: list) -> list:
    for factor in factors:
        factor["spread_display"] = formatting.value(factor["spread"], "score")
        for row in factor["rows"]:
            row["nps_display"] = formatting.value(row["nps"], "score") if row["nps_shown"] else "—"
            row["csat_display"] = formatting.value(row["csat"], "pct") if row["csat_shown"] else "—"
    return factors


def non_response_display(check: dict) -> dict:
    """Rows for the "Who answered" table: each side's figure ("—" below the minimum sample)."""
    minimum = check["min_sample"]
    rows = []
    for metric, label, unit, read in (
        ("resolution_time", _("Resolution time (median)"), "seconds", lambda f: f["median_s"]),
        ("fcr", _("First-contact resolution"), "pct", lambda f: f["value"]),
        ("sla_resolution", _("SLA met, resolution"), "pct", lambda f: f["value"]),
    ):
        row = {"metric": metric, "label": label, "difference": check["differences"][metric]}
        for side in ("answered", "not_answered"):
            figure = check[side][metric]
            shown = metrics.shown(figure["n"], minimum)
            row[side] = {"display": formatting.value(read(figure), unit) if shown else "—", "n": figure["n"]}
        row["difference_display"] = formatting.change(row["difference"]["difference"], unit)
        rows.append(row)
    return check | {"rows": rows}


def effects_display(rows: list[dict]) -> list[dict]:
    """Each action's before, after and change as shown: "—" below the minimum sample."""
    for row in rows:
        spec, action = row["spec"], row["action"]
        scope = [str(part) for part in (action.team, action.campaign, action.category, action.channel) if part]
        row["scope_display"] = " · ".join(scope) or _("all tickets")
        for side in ("before", "after"):
            found = row[side]
            if found is not None:
                found["display"] = formatting.value(found["value"], spec.unit) if found["shown"] else "—"
        row["change_display"] = formatting.change(row["change"], spec.unit) if spec else ""
        if row["change"]:
            row["direction"] = "better" if (row["change"] > 0) == spec.higher_is_better else "worse"
        target = row["target"]
        if target is not None:
            comparison = dict(Comparison.choices)[target["comparison"]]
            target["display"] = f"{comparison} {formatting.value(target['value'], spec.unit)}"
    return rows


def action_effects_for(actions: list, agent_id: int | None) -> list[dict]:
    """The actions' effects as the reports show them; an agent reads no figures beyond their
    own, so theirs carry none."""
    return effects_display(action_effects(actions, today=site_today(), measure=agent_id is None))


def chart_data(filters: ReportFilters, bucket: str, targets: dict, actions: list) -> dict:
    series = []
    for key in CHART_METRICS:
        points = trend(filters, key, bucket)
        minimum = settings.REPORT_MIN_SAMPLE
        series.append(
            {
                "key": key,
                "label": str(METRICS[key].label),
                "points": [
                    {
                        "x": p["bucket"].isoformat(),
                        "y": p["value"] if p["n"] >= minimum else None,
                        "n": p["n"],
                    }
                    for p in points
                ],
                "target": float(targets[key].value) if key in targets else None,
            }
        )
    return {
        "series": series,
        "actions": [
            {"x": a.started_on.isoformat(), "label": a.title}
            for a in actions
            if filters.start <= a.started_on < filters.end
        ],
    }


def freshness(filters: ReportFilters) -> dict | None:
    """When the period's figures were summed, and how far the reports replica (if one is
    configured) is behind the primary: None when every day is read live from the primary."""
    out = {}
    if replica_configured():
        lag = replica_lag_seconds()
        out["replica"] = {"lag": None if lag is None else round(lag)}
    found = coverage()
    if found is not None and filters.start < found.cutoff:
        # A period that ends before the cutoff has no live days to name.
        live_from = found.cutoff if filters.end > found.cutoff else None
        out.update(as_of=found.as_of, live_from=live_from)
    return out or None


def dashboard_data(
    filters: ReportFilters,
    *,
    bucket: str,
    by: str,
    band: str,
    agent_id: int | None,
    q: str = "",
    page: int = 1,
) -> dict:
    targets = targets_for(filters)
    tile_rows = [tile_display(t) for t in tiles(filters, targets=targets)]
    actions = improvement_actions(filters)
    effects = action_effects_for(actions, agent_id)
    closed = next(t for t in tile_rows if t["spec"].key == "complaint_rate")["n"]
    table = breakdown_table(filters, by)
    for row in table:
        row["open_query"] = breakdown_row_query(filters, by, row["key"], bucket)
        for cell in row["cells"]:
            cell["display"] = formatting.value(cell["value"], cell["unit"]) if cell["shown"] else "—"
            # The unrounded figure the table sorts by (not shown); printf-style, as stringformat.
            sortable = cell["shown"] and cell["value"] is not None
            cell["sort_value"] = "%.6f" % cell["value"] if sortable else ""  # noqa: UP031
    return {
        "tiles": tile_rows,
        "chart": chart_data(filters, bucket, targets, actions),
        "actions": actions,
        "effects": effects,
        "overdue": [row for row in effects if row["overdue"]],
        "effect_max_days": settings.IMPROVEMENT_EFFECT_MAX_DAYS,
        "breakdown": table,
        "breakdown_columns": [METRICS[k] for k in BREAKDOWN_COLUMNS],
        "distributions": {
            "category": time_distributions(filters, "category"),
            "team": time_distributions(filters, "team"),
        },
        "time_buckets": [label for _key, label in TIME_BUCKETS],
        "breaches": breaches_display(breaches(filters)),
        "drivers": drivers_display(drivers(filters)),
        "funnel": funnel(filters, closed),
        "verbatims": verbatim_page(filters, band, q=q, page=page),
        "options": options_keeping_chosen(filter_options(agent_id=agent_id), filters),
        "metric_labels": dict(Metric.choices),
        "freshness": freshness(filters),
        "non_response": non_response_display(non_response(filters)),
        "followups": followup_display(followup_figures(filters, now=timezone.now())),
    }
