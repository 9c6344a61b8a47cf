"""Drivers: NPS and CSAT of the tickets in each operational group, ordered by effect.

For each factor (resolution-time bucket, reopened, FCR, SLA met, category, agent) the
responses of the period are grouped by the factor's value on their ticket. A factor "moves
the score" by the spread between its best and worst group with enough answers.
Two queries: one cross-tab of the ticket factors, one by agent.
"""

from collections import defaultdict

from django.conf import settings
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from .. import metrics
from .filters import ReportFilters

HOUR = 3600
RESOLUTION_BUCKETS = [
    ("lt4h", _("under 4 hours"), 4 * HOUR),
    ("lt1d", _("4 to 24 hours"), 24 * HOUR),
    ("lt3d", _("1 to 3 days"), 72 * HOUR),
]
RESOLUTION_LABELS = {key: label for key, label, _limit in RESOLUTION_BUCKETS} | {
    "gte3d": _("3 days or more"),
    "none": _("not resolved"),
}
YES_NO = {True: _("yes"), False: _("no"), None: _("unknown")}
FACTORS = {
    "resolution": _("Resolution time"),
    "reopened": _("Reopened"),
    "fcr": _("Resolved at first contact"),
    "sla": _("Resolution SLA met"),
    "category": _("Category"),
    "agent": _("Agent"),
}


def resolution_bucket(field: str = "resolution_s"):
    whens = [When(**{f"{field}__lt": limit}, then=Value(key)) for key, _label, limit in RESOLUTION_BUCKETS]
    return Case(When(**{f"{field}__isnull": True}, then=Value("none")), *whens, default=Value("gte3d"))


def _flag(q: Q):
    return ExpressionWrapper(q, output_field=BooleanField())


def _label(factor: str, value) -> str:
    if factor == "resolution":
        return str(RESOLUTION_LABELS[value])
    if factor in ("reopened", "fcr", "sla"):
        return str(YES_NO[value])
    return value or "—"


def _add(into: dict, counts: dict) -> None:
    for name in ("promoters", "passives", "detractors", "csat_n", "csat_satisfied"):
        into[name] += counts[name]


def drivers(filters: ReportFilters) -> list[dict]:
    """Factors with their groups (label, NPS, CSAT, n), the most influential first."""
    responses = filters.responses()
    t = "invitation__ticket__"
    crosstab = metrics.survey_counts(
        responses,
        {
            "resolution": resolution_bucket(f"{t}resolution_s"),
            "reopened": _flag(Q(**{f"{t}reopen_count__gt": 0})),
            "fcr": _flag(
                Q(**{f"{t}resolved_at__isnull": False, f"{t}contact_count__lte": 1, f"{t}reopen_count": 0})
            ),
            "sla": Case(
                When(**{f"{t}sla_resolution_target_s__isnull": True}, then=Value(None)),
                When(**{f"{t}resolution_s__isnull": True}, then=Value(None)),
                When(**{f"{t}resolution_s__lte": F(f"{t}sla_resolution_target_s")}, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(null=True),
            ),
            "category": F(f"{t}category"),
        },
    )
    groups: dict[str, dict] = {name: defaultdict(lambda: defaultdict(int)) for name in FACTORS}
    names = ["resolution", "reopened", "fcr", "sla", "category"]
    for key, counts in crosstab.items():
        for name, value in zip(names, key, strict=True):
            _add(groups[name][value], counts)
    for (agent_id, agent_name), counts in metrics.survey_counts(
        responses, {"agent_id": F(f"{t}agent_id"), "agent_name": F(f"{t}agent__name")}
    ).items():
        _add(groups["agent"][agent_name or agent_id], counts)
    return sorted((_factor(name, groups[name]) for name in FACTORS), key=lambda f: -(f["spread"] or -1))


def _factor(name: str, groups: dict) -> dict:
    minimum = settings.REPORT_MIN_SAMPLE
    rows = []
    for value, c in groups.items():
        nps_n = c["promoters"] + c["passives"] + c["detractors"]
        rows.append(
            {
                "label": _label(name, value),
                "nps": metrics.nps(c["promoters"], c["passives"], c["detractors"]),
                "nps_n": nps_n,
                "nps_shown": metrics.shown(nps_n, minimum),
                "csat": metrics.ratio_pct(c["csat_satisfied"], c["csat_n"]),
                "csat_n": c["csat_n"],
                "csat_shown": metrics.shown(c["csat_n"], minimum),
            }
        )
    rows.sort(key=lambda r: (r["nps"] is None, -(r["nps"] or 0)))
    usable = [r["nps"] for r in rows if r["nps_shown"] and r["nps"] is not None]
    spread = max(usable) - min(usable) if len(usable) >= 2 else None
    return {"key": name, "label": FACTORS[name], "spread": spread, "rows": rows}
