"""The metrics a report can show: where each comes from and how to read it.

Every entry reads one figure out of the API-shaped dictionaries of ``reports/metrics.py``, so a
tile, a trend point, a breakdown cell and the JSON API always show the same number.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import compare, metrics


@dataclass(frozen=True)
class MetricSpec:
    key: str
    label: str
    source: str  # "survey", "ticket" or "invitation": which counts feed it
    unit: str  # "score", "pct", "mean", "seconds"
    higher_is_better: bool
    read: Callable[[dict], tuple[float | None, int, tuple[float, float] | None]]
    # What its test of a difference needs, from the figures and the moments (compare.py).
    sample: Callable[[dict, dict], compare.Sample] | None = None


def _nps_sample(f, _moments):
    x = f["nps"]
    return compare.nps_sample(x["promoters"], x["passives"], x["detractors"])


def _csat_sample(f, _moments):
    x = f["csat"]
    # value = 100 × satisfied / n exactly, so rounding gives the count back.
    return compare.proportion_sample(round((x["value"] or 0) * x["n"] / 100), x["n"])


def _count_sample(path: tuple[str, ...], part: str, whole: str):
    def sample(f, _moments):
        x = f
        for step in path:
            x = x[step]
        return compare.proportion_sample(x[part], x[whole])

    return sample


def _rate_sample(name: str):
    def sample(f, _moments):
        x = f[name]
        return compare.proportion_sample(round((x["value"] or 0) * x["n"] / 100), x["n"])

    return sample


def _mean_sample(name: str):
    def sample(_f, moments):
        return compare.mean_sample(*moments[name])

    return sample


def _nps(f):
    x = f["nps"]
    interval = None if x["value"] is None else (x["value"] - x["moe"], x["value"] + x["moe"])
    return x["value"], x["n"], interval


def _csat(f):
    x = f["csat"]
    return x["value"], x["n"], None if x["value"] is None else (x["low"], x["high"])


def _proportion(path: tuple[str, ...], part: str, whole: str):
    def read(f):
        x = f
        for step in path:
            x = x[step]
        return x["value"], x[whole], metrics.wilson_pct(x[part], x[whole])

    return read


def _fcr_like(name: str):
    def read(f):
        x = f[name]
        part = round((x["value"] or 0) * x["n"] / 100)
        return x["value"], x["n"], metrics.wilson_pct(part, x["n"])

    return read


def _median(name: str):
    def read(f):
        x = f[name]
        return x["median_s"], x["n"], None

    return read


SPECS = [
    MetricSpec("nps", _("NPS"), "survey", "score", True, _nps, _nps_sample),
    MetricSpec("csat", _("CSAT"), "survey", "pct", True, _csat, _csat_sample),
    MetricSpec(
        "ces",
        _("CES"),
        "survey",
        "mean",
        True,
        lambda f: (f["ces"]["mean"], f["ces"]["n"], None),
        _mean_sample("ces"),
    ),
    MetricSpec(
        "response_rate",
        _("Response rate"),
        "invitation",
        "pct",
        True,
        _proportion(("response_rate",), "responses", "sent"),
        _count_sample(("response_rate",), "responses", "sent"),
    ),
    MetricSpec(
        "complaint_rate",
        _("Complaint rate"),
        "ticket",
        "pct",
        False,
        _proportion(("complaint_rate",), "complaints", "tickets"),
        _count_sample(("complaint_rate",), "complaints", "tickets"),
    ),
    MetricSpec(
        "first_response_time",
        _("First response time (median)"),
        "ticket",
        "seconds",
        False,
        _median("first_response_time"),
        _mean_sample("frt"),
    ),
    MetricSpec(
        "resolution_time",
        _("Resolution time (median)"),
        "ticket",
        "seconds",
        False,
        _median("resolution_time"),
        _mean_sample("res"),
    ),
    MetricSpec(
        "fcr", _("First-contact resolution"), "ticket", "pct", True, _fcr_like("fcr"), _rate_sample("fcr")
    ),
    MetricSpec(
        "repeat_contact_rate",
        _("Repeat-contact rate"),
        "ticket",
        "pct",
        False,
        _fcr_like("repeat_contact_rate"),
        _rate_sample("repeat_contact_rate"),
    ),
    MetricSpec(
        "sla_response",
        _("SLA met, response"),
        "ticket",
        "pct",
        True,
        _proportion(("sla", "response"), "met", "n"),
        _count_sample(("sla", "response"), "met", "n"),
    ),
    MetricSpec(
        "sla_resolution",
        _("SLA met, resolution"),
        "ticket",
        "pct",
        True,
        _proportion(("sla", "resolution"), "met", "n"),
        _count_sample(("sla", "resolution"), "met", "n"),
    ),
]
METRICS = {spec.key: spec for spec in SPECS}
TILES = [
    "nps",
    "csat",
    "ces",
    "response_rate",
    "complaint_rate",
    "first_response_time",
    "resolution_time",
    "fcr",
    "sla_response",
    "sla_resolution",
]


def figures_from_counts(source: str, counts: dict) -> dict:
    if source == "survey":
        return metrics.survey_figures(counts)
    if source == "ticket":
        return metrics.ticket_figures(counts)
    return metrics.invitation_figures(counts)
