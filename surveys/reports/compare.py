"""Tests of a difference (docs/metrics.md, "Breakdowns, trends, comparisons"): pure functions.

One definition serves every surface that shows a change — the dashboard tiles, the admin's
campaign figures, the summary report, the weekly digest and the summary API — and the
non-response check. A change is shown only when both sides hold at least the minimum sample;
it is significant at 95 % when |difference| > 1.96 × the standard error of the difference:

- NPS: SE = 100 × √(var₁/n₁ + var₂/n₂), var = p + d − (p − d)² of the +1 / 0 / −1 scores;
- a rate: the two-proportion z-test with the pooled proportion,
  SE = 100 × √(p̂(1 − p̂)(1/n₁ + 1/n₂)) in percentage points;
- a mean: Welch, SE = √(s₁²/n₁ + s₂²/n₂) with the sample variances.
"""

import math
from dataclasses import dataclass

from .metrics import Z95, wilson_pct

NPS, PROPORTION, MEAN = "nps", "proportion", "mean"


@dataclass(frozen=True)
class Sample:
    """One side of a comparison: what its test needs.

    ``value`` is in the figure's units (NPS points, percent, the mean); ``successes`` is the
    count of a proportion; ``variance`` is the per-record variance (of the +1 / 0 / −1 NPS
    scores, or the sample variance s² of a mean), ``None`` when unknown (a mean of one record).
    """

    kind: str
    n: int
    value: float | None
    successes: int = 0
    variance: float | None = None


def nps_sample(promoters: int, passives: int, detractors: int) -> Sample:
    n = promoters + passives + detractors
    if not n:
        return Sample(NPS, 0, None)
    p, d = promoters / n, detractors / n
    return Sample(NPS, n, 100.0 * (p - d), variance=max(0.0, p + d - (p - d) ** 2))


def proportion_sample(successes: int, n: int) -> Sample:
    return Sample(PROPORTION, n, 100.0 * successes / n if n else None, successes=successes)


def mean_sample(n: int, total: float | None, squares: float | None) -> Sample:
    """From the count, the sum and the sum of squares (all from SQL)."""
    if not n or total is None:
        return Sample(MEAN, 0, None)
    mean = total / n
    variance = None
    if n > 1 and squares is not None:
        # Σ(x − x̄)² = Σx² − n·x̄²; rounding can leave a tiny negative for equal values.
        variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    return Sample(MEAN, n, mean, variance=variance)


def difference_se(a: Sample, b: Sample) -> float | None:
    """Standard error of ``a.value − b.value``; ``None`` when it cannot be estimated."""
    if not a.n or not b.n or a.kind != b.kind:
        return None
    if a.kind == PROPORTION:
        pooled = (a.successes + b.successes) / (a.n + b.n)
        return 100.0 * math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n))
    if a.variance is None or b.variance is None:
        return None
    se = math.sqrt(a.variance / a.n + b.variance / b.n)
    return 100.0 * se if a.kind == NPS else se


def is_significant(difference: float, se: float | None) -> bool:
    """|difference| > 1.96 × SE. With SE = 0 (every record alike on both sides) any
    difference is certain; no difference never is."""
    if se is None or difference == 0:
        return False
    return abs(difference) > Z95 * se


def comparable(a: Sample, b: Sample, min_sample: int) -> bool:
    return a.value is not None and b.value is not None and min(a.n, b.n) >= max(1, min_sample)


def compare(current: Sample, previous: Sample, min_sample: int, *, shown=None, shown_previous=None) -> dict:
    """This side against the other: ``change`` and ``significant`` (both ``None`` — "too few
    to compare" — when either side has fewer than ``min_sample`` records), with both n.

    ``shown`` / ``shown_previous`` are the figures the reader sees when they are not the
    tested ones (a median, tested through the mean of the same durations): the change is
    theirs, and it is significant only when the tested difference points the same way.
    """
    value = current.value if shown is None else shown
    before = previous.value if shown_previous is None else shown_previous
    out = {
        "n": current.n,
        "previous_n": previous.n,
        "previous": before,
        "change": None,
        "se": None,
        "significant": None,
        "too_few": True,
    }
    if not comparable(current, previous, min_sample) or value is None or before is None:
        return out
    change = value - before
    tested = current.value - previous.value
    se = difference_se(current, previous)
    same_way = (change > 0) == (tested > 0) and change != 0
    out |= {
        "change": change,
        "se": se,
        "significant": is_significant(tested, se) and same_way,
        "too_few": False,
    }
    return out


def interval(sample: Sample) -> tuple[float, float] | None:
    """The figure's own 95 % interval: NPS ± its margin, Wilson for a rate, mean ± 1.96 s/√n."""
    if sample.value is None or not sample.n:
        return None
    if sample.kind == PROPORTION:
        return wilson_pct(sample.successes, sample.n)
    if sample.variance is None:
        return None
    half = Z95 * math.sqrt(sample.variance / sample.n) * (100.0 if sample.kind == NPS else 1.0)
    return sample.value - half, sample.value + half


def against_target(sample: Sample, target: float, min_sample: int) -> bool | None:
    """Whether the figure differs significantly from a fixed target: its 95 % interval
    excludes the target. ``None`` below the minimum sample or without an interval."""
    if sample.value is None or sample.n < max(1, min_sample):
        return None
    bounds = interval(sample)
    if bounds is None:
        return None
    return not bounds[0] <= target <= bounds[1]
