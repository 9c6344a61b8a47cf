"""Every figure of docs/metrics.md as a pure function over counts (no database here).

The functions take counts and sums and return a figure in docs/metrics.md units (percent
0–100, NPS −100…100, seconds), or ``None`` when the sample is empty: a figure with n = 0 is
unknown, never 0. The counts come from the SQL aggregates in ``reports/aggregates.py`` (live
rows) or the daily rollups (``reports/counts.py``).
"""

import math

Z95 = 1.96
PERCENTILES = (0.5, 0.9)
# Histogram buckets of response and resolution times: (key, upper bound in seconds, inclusive).
HOUR = 3600
TIME_LIMITS = [("h1", HOUR), ("h4", 4 * HOUR), ("d1", 24 * HOUR), ("d3", 72 * HOUR), ("more", None)]
# The two measured durations: (prefix of their counts, column on Ticket and TicketFact).
DURATIONS = (("frt", "first_response_s"), ("res", "resolution_s"))
# The values of each record kind compared as means (Welch): (name, column); each has
# ``<name>_n``, ``<name>_sum`` and ``<name>_sq`` (sum of squares) among its counts.
MEANS = {"survey": (("ces", "ces_score"),), "ticket": DURATIONS}


# --- pure functions -----------------------------------------------------------------------
def ratio_pct(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``; unknown when there is nothing to divide by."""
    if not whole:
        return None
    return 100.0 * part / whole


def mean(total: float | None, n: int) -> float | None:
    if not n or total is None:
        return None
    return total / n


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    n = promoters + passives + detractors
    if not n:
        return None
    return 100.0 * (promoters - detractors) / n


def nps_moe(promoters: int, passives: int, detractors: int) -> float | None:
    """Half-width of the 95 % interval of NPS, from the variance of +1 / 0 / −1 scores."""
    n = promoters + passives + detractors
    if not n:
        return None
    p, d = promoters / n, detractors / n
    variance = max(0.0, p + d - (p - d) ** 2)
    return Z95 * 100.0 * math.sqrt(variance / n)


def wilson_pct(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson 95 % interval of a proportion, in percent."""
    if not n:
        return None
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def percentile(sorted_values: list, q: float) -> float | None:
    """Continuous percentile with linear interpolation between the closest ranks.

    The same as PostgreSQL's ``percentile_cont`` and ``statistics.quantiles(method="inclusive")``.
    """
    if not sorted_values:
        return None
    low, high, weight = percentile_ranks(len(sorted_values), q)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * weight


def percentile_ranks(n: int, q: float) -> tuple[int, int, float]:
    """The two 0-based ranks of ``n`` sorted values that ``percentile`` interpolates between,
    and the weight of the higher one (the report reads only the values at those ranks)."""
    position = q * (n - 1)
    low = math.floor(position)
    return low, min(low + 1, n - 1), position - low


def shown(n: int, min_sample: int) -> bool:
    """A figure from fewer than ``min_sample`` records is shown as "—" with its n."""
    return n >= min_sample


# --- figures from counts --------------------------------------------------------------------
def survey_figures(c: dict) -> dict:
    """NPS, CSAT and CES figures (API shape) from the counts of ``survey_counts``."""
    nps_n = c["promoters"] + c["passives"] + c["detractors"]
    interval = wilson_pct(c["csat_satisfied"], c["csat_n"])
    return {
        "nps": {
            "value": nps(c["promoters"], c["passives"], c["detractors"]),
            "n": nps_n,
            "promoters": c["promoters"],
            "passives": c["passives"],
            "detractors": c["detractors"],
            "moe": nps_moe(c["promoters"], c["passives"], c["detractors"]),
        },
        "csat": {
            "value": ratio_pct(c["csat_satisfied"], c["csat_n"]),
            "n": c["csat_n"],
            "mean": mean(c["csat_sum"], c["csat_n"]),
            "low": interval[0] if interval else None,
            "high": interval[1] if interval else None,
        },
        "ces": {
            "mean": mean(c["ces_sum"], c["ces_n"]),
            "n": c["ces_n"],
            "easy": ratio_pct(c["ces_easy"], c["ces_n"]),
        },
    }


def _duration(c: dict, prefix: str) -> dict:
    n = c[f"{prefix}_n"]
    return {
        "mean_s": mean(c[f"{prefix}_sum"], n),
        "median_s": c.get(f"{prefix}_p50") if n else None,
        "p90_s": c.get(f"{prefix}_p90") if n else None,
        "min_s": c[f"{prefix}_min"] if n else None,
        "max_s": c[f"{prefix}_max"] if n else None,
        "n": n,
    }


def ticket_figures(c: dict) -> dict:
    """Complaint rate, times, FCR, repeat contacts and SLA (API shape) from ``ticket_counts``."""
    return {
        "complaint_rate": {
            "value": ratio_pct(c["complaints"], c["tickets"]),
            "complaints": c["complaints"],
            "tickets": c["tickets"],
        },
        "first_response_time": _duration(c, "frt"),
        "resolution_time": _duration(c, "res"),
        "fcr": {"value": ratio_pct(c["fcr"], c["resolved"]), "n": c["resolved"]},
        "repeat_contact_rate": {"value": ratio_pct(c["repeat"], c["resolved"]), "n": c["resolved"]},
        "sla": {
            "response": {
                "value": ratio_pct(c["sla_response_met"], c["sla_response_n"]),
                "met": c["sla_response_met"],
                "n": c["sla_response_n"],
            },
            "resolution": {
                "value": ratio_pct(c["sla_resolution_met"], c["sla_resolution_n"]),
                "met": c["sla_resolution_met"],
                "n": c["sla_resolution_n"],
            },
        },
    }


def invitation_figures(c: dict) -> dict:
    return {
        "response_rate": {
            "value": ratio_pct(c["responses"], c["sent"]),
            "sent": c["sent"],
            "responses": c["responses"],
        }
    }
