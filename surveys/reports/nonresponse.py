"""Non-response check (docs/metrics.md, "Who answered"): do the answers speak for every ticket?

For the invitations first sent in the period (filtered as the report is), the ticket figures
of those answered (at any time) against those not answered: median resolution time, FCR and
SLA attainment (resolution), each with its n, compared with the tests of ``compare`` — Welch
on the mean resolution times for the median (as for the tiles), two-proportion tests for
the rates. A significant difference raises a warning such as "answers may over-represent
fast tickets". With usable rollups (rollups_read.coverage), the closed days are read from InvitationFact
(one narrow row per invitation, no join) and the live days from the source rows: three
queries. Without, one query over the source (two on SQLite, which has no ordered-set
aggregate for the median).
"""

from collections import defaultdict

from django.conf import settings
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from ..models.rollups import InvitationFact
from . import compare, invitation_facts, metrics, rollups_read
from .aggregates import PercentileCont, fcr_q, is_postgres
from .filters import ReportFilters
from .percentiles import Slice, bucket_floor, read_slices

SIDES = ("answered", "not_answered")
RESOLUTION = "ticket__resolution_s"
# What a significant difference says, by metric and by the way the answered side differs.
WARNINGS = {
    ("resolution_time", "lower"): ("fast_tickets", _("Answers may over-represent fast tickets.")),
    ("resolution_time", "higher"): ("slow_tickets", _("Answers may over-represent slow tickets.")),
    ("fcr", "higher"): (
        "first_contact_tickets",
        _("Answers may over-represent tickets resolved at the first contact."),
    ),
    ("fcr", "lower"): (
        "repeat_contact_tickets",
        _("Answers may over-represent tickets that needed repeat contacts."),
    ),
    ("sla_resolution", "higher"): (
        "sla_met_tickets",
        _("Answers may over-represent tickets resolved within the SLA."),
    ),
    ("sla_resolution", "lower"): (
        "sla_missed_tickets",
        _("Answers may over-represent tickets that missed the SLA."),
    ),
}


def _side_q(side: str) -> Q:
    answered = Q(response__isnull=False)
    return answered if side == "answered" else ~answered


def _aggregates() -> dict:
    resolution = Cast(F(RESOLUTION), FloatField())
    out = {}
    for side in SIDES:
        q = _side_q(side)
        has_time = q & Q(**{f"{RESOLUTION}__isnull": False})
        out |= {
            f"{side}_n": Count("pk", filter=q),
            f"{side}_resolved": Count("pk", filter=q & Q(ticket__resolved_at__isnull=False)),
            f"{side}_fcr": Count("pk", filter=q & fcr_q("ticket__")),
            f"{side}_sla_n": Count(
                "pk",
                filter=has_time & Q(ticket__sla_resolution_target_s__isnull=False),
            ),
            f"{side}_sla_met": Count(
                "pk", filter=q & Q(ticket__resolution_s__lte=F("ticket__sla_resolution_target_s"))
            ),
            f"{side}_res_n": Count("pk", filter=has_time),
            f"{side}_res_sum": Sum(resolution, filter=has_time),
            f"{side}_res_sq": Sum(resolution * resolution, filter=has_time, output_field=FloatField()),
        }
        if is_postgres():
            out[f"{side}_res_p50"] = PercentileCont(RESOLUTION, fractions=(0.5,), filter=has_time)
    return out


def _medians_python(invitations) -> dict[str, float | None]:
    """The same medians where the database has no ``percentile_cont`` (SQLite)."""
    values = defaultdict(list)
    rows = invitations.filter(**{f"{RESOLUTION}__isnull": False}).annotate(has=Count("response"))
    for has, seconds in rows.values_list("has", RESOLUTION):
        values["answered" if has else "not_answered"].append(seconds)
    return {side: metrics.percentile(sorted(values[side]), 0.5) for side in SIDES}


def non_response_counts(filters: ReportFilters) -> dict:
    """``{side: counts}`` for the invitations sent in the period, answered or not."""
    cov = rollups_read.coverage()
    if cov is not None:
        found = _counts_from_facts(filters, cov)
        if found is not None:
            return found
    return _source_counts(filters)


def _source_counts(filters: ReportFilters) -> dict:
    invitations = filters.invitations()
    found = invitations.aggregate(**_aggregates())
    if is_postgres():
        medians = {side: (found.pop(f"{side}_res_p50") or [None])[0] for side in SIDES}
    else:
        medians = _medians_python(invitations)
    out = {}
    for side in SIDES:
        counts = {
            name[len(side) + 1 :]: value for name, value in found.items() if name.startswith(f"{side}_")
        }
        out[side] = counts | {"res_p50": medians[side]}
    return out


FACT_FLAGS = ("answered", "resolved", "fcr", "sla_resolution_met", "resolution_s")


def _live_counts(live: ReportFilters | None) -> tuple[dict, dict]:
    """The live days' counts and resolution times per side, from their few source rows, each
    read through the same expressions that write InvitationFact."""
    counts = {side: dict.fromkeys(COUNTS, 0) for side in SIDES}
    values: dict[str, list] = {side: [] for side in SIDES}
    if live is None:
        return counts, values
    found = invitation_facts.columns()
    rows = live.invitations().order_by().annotate(**{f"f_{k}": found[k] for k in FACT_FLAGS})
    for answered, resolved, fcr, sla, seconds in rows.values_list(*(f"f_{k}" for k in FACT_FLAGS)):
        side = SIDES[0] if answered else SIDES[1]
        c = counts[side]
        c["n"] += 1
        c["resolved"] += bool(resolved)
        c["fcr"] += bool(fcr)
        if seconds is not None:
            c["res_n"] += 1
            c["res_sum"] += float(seconds)
            c["res_sq"] += float(seconds) * float(seconds)
            values[side].append(seconds)
            if sla is not None:
                c["sla_n"] += 1
                c["sla_met"] += bool(sla)
    return counts, values


COUNTS = ("n", "resolved", "fcr", "sla_n", "sla_met", "res_n", "res_sum", "res_sq")


def _counts_from_facts(filters: ReportFilters, cov: rollups_read.Coverage) -> dict | None:
    """The same counts from InvitationFact for the closed days and the source rows for the
    live ones; each side's exact median read in index order up to its middle rank. None when
    the rows changed between the count and the read."""
    closed_end = min(filters.end, cov.cutoff)
    facts = None
    closed: dict[str, dict] = {}
    if filters.start < closed_end:
        facts = rollups_read.closed_rows(InvitationFact.objects.all(), filters, closed_end)
        closed = invitation_facts.closed_counts(filters, closed_end)
    live, live_values = _live_counts(rollups_read.live_filters(filters, cov))
    out, slices, weights = {}, [], {}
    for side in SIDES:
        c = {name: closed.get(side, {}).get(name, 0) + live[side][name] for name in COUNTS}
        if not c["res_n"]:
            c["res_sum"] = c["res_sq"] = None
        out[side] = c | {"res_p50": None}
        if c["res_n"]:
            low, high, weights[side] = metrics.percentile_ranks(c["res_n"], 0.5)
            # Start at the time bucket that holds the middle rank; skip the values below by count.
            floor, below = bucket_floor(closed.get(side, {}), low, live_values[side])
            above = Q() if floor is None else Q(resolution_s__gt=floor)
            rows = None
            if facts is not None:
                rows = facts.filter(invitation_facts.side_q(side), above, resolution_s__isnull=False)
            live_above = tuple(v for v in live_values[side] if floor is None or v > floor)
            slices.append((side, Slice(rows, "resolution_s", live_above, low - below, high - below)))
    if slices:
        values = read_slices([piece for _side, piece in slices])
        if values is None:
            return None
        for (side, _piece), v in zip(slices, values, strict=True):
            out[side]["res_p50"] = v[0] + (v[-1] - v[0]) * weights[side]
    return out


def _figures(c: dict) -> dict:
    return {
        "n": c["n"],
        "resolution_time": {
            "median_s": c["res_p50"] if c["res_n"] else None,
            "mean_s": metrics.mean(c["res_sum"], c["res_n"]),
            "n": c["res_n"],
        },
        "fcr": {"value": metrics.ratio_pct(c["fcr"], c["resolved"]), "n": c["resolved"]},
        "sla_resolution": {
            "value": metrics.ratio_pct(c["sla_met"], c["sla_n"]),
            "met": c["sla_met"],
            "n": c["sla_n"],
        },
    }


def _samples(c: dict) -> dict[str, compare.Sample]:
    return {
        "resolution_time": compare.mean_sample(c["res_n"], c["res_sum"], c["res_sq"]),
        "fcr": compare.proportion_sample(c["fcr"], c["resolved"]),
        "sla_resolution": compare.proportion_sample(c["sla_met"], c["sla_n"]),
    }


def non_response(filters: ReportFilters) -> dict:
    """The check in the API's shape: both sides' figures, each difference (answered minus not
    answered; null when either side is below the minimum sample) and the warnings."""
    minimum = settings.REPORT_MIN_SAMPLE
    counts = non_response_counts(filters)
    figures = {side: _figures(counts[side]) for side in SIDES}
    samples = {side: _samples(counts[side]) for side in SIDES}
    differences, warnings = {}, []
    for metric in ("resolution_time", "fcr", "sla_resolution"):
        median = metric == "resolution_time"
        found = compare.compare(
            samples["answered"][metric],
            samples["not_answered"][metric],
            minimum,
            shown=figures["answered"][metric]["median_s"] if median else None,
            shown_previous=figures["not_answered"][metric]["median_s"] if median else None,
        )
        differences[metric] = {
            "difference": found["change"],
            "significant": found["significant"],
            "too_few_to_compare": found["too_few"],
        }
        if found["significant"]:
            code, message = WARNINGS[(metric, "higher" if found["change"] > 0 else "lower")]
            warnings.append({"code": code, "message": str(message)})
    return {
        "basis": "invitations first sent in the period; answered at any time",
        "min_sample": minimum,
        **figures,
        "differences": differences,
        "warnings": warnings,
    }
