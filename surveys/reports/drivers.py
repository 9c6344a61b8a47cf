"""Drivers: NPS and CSAT of the tickets in each operational group, ordered by effect.

For each factor (resolution-time bucket, reopened, FCR, SLA met, category, agent) the
responses of the period are grouped by the factor's value on their ticket. A factor "moves
the score" by the spread between its best and worst group with enough answers.
Two queries: one cross-tab of the ticket factors, one by agent.
"""

from collections import defaultdict

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import metrics
from .counts import counts
from .filters import ReportFilters
from .grains import DRIVER_DIMS, RESOLUTION_BAND_LABELS

YES_NO = {True: _("yes"), False: _("no"), None: _("unknown")}
FACTORS = {
    "resolution": _("Resolution time"),
    "reopened": _("Reopened"),
    "fcr": _("Resolved at first contact"),
    "sla": _("Resolution SLA met"),
    "category": _("Category"),
    "agent": _("Agent"),
}
# The cross-tab's dimensions (grains.DRIVER_DIMS) under their factor names.
CROSSTAB = dict(zip(("resolution", "reopened", "fcr", "sla", "category"), DRIVER_DIMS, strict=True))


def _label(factor: str, value) -> str:
    if factor == "resolution":
        return str(RESOLUTION_BAND_LABELS[value])
    if factor in ("reopened", "fcr", "sla"):
        return str(YES_NO[value])
    return value or "—"


def _add(into: dict, c: dict) -> None:
    for name in ("promoters", "passives", "detractors", "csat_n", "csat_satisfied"):
        into[name] += c[name]


def drivers(filters: ReportFilters) -> list[dict]:
    """Factors with their groups (label, NPS, CSAT, n), the most influential first."""
    groups: dict[str, dict] = {name: defaultdict(lambda: defaultdict(int)) for name in FACTORS}
    for key, c in counts("survey", filters, DRIVER_DIMS).items():
        for name, value in zip(CROSSTAB, key, strict=True):
            _add(groups[name][value], c)
    for (agent_id, agent_name), c in counts("survey", filters, ("agent",), labels=True).items():
        _add(groups["agent"][agent_name or agent_id], c)
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
