"""Non-response check (docs/metrics.md, "Who answered"): do the answers speak for every ticket?

For the invitations first sent in the period (filtered as the report is), the ticket figures
of those answered (at any time) against those not answered: median resolution time, FCR and
SLA attainment (resolution), each with its n, compared with the tests of ``compare`` — Welch
on the mean resolution times for the median (as for the tiles), two-proportion tests for
the rates. A significant difference raises a warning such as "answers may over-represent
fast tickets". One query (two on SQLite, which has no ordered-set aggregate for the median).
"""

from collections import defaultdict

from django.conf import settings
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from . import compare, metrics
from .aggregates import PercentileCont, fcr_q, is_postgres
from .filters import ReportFilters

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
