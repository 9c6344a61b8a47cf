"""The tests of a difference (surveys/reports/compare.py) against hand-computed numbers and a
plain-Python reference (docs/metrics.md, "Breakdowns, trends, comparisons")."""

import math
import statistics

import pytest

from surveys.reports import compare


def _nps_reference(scores):
    """+1 / 0 / −1 per answer: NPS and the variance of the scores (population form)."""
    values = [1 if s >= 9 else (-1 if s <= 6 else 0) for s in scores]
    return 100 * statistics.fmean(values), statistics.pvariance(values), len(values)


def _nps(scores):
    return compare.nps_sample(
        sum(s >= 9 for s in scores), sum(s in (7, 8) for s in scores), sum(s <= 6 for s in scores)
    )


WORKED = [10, 9, 9, 8, 7, 6, 5, 3, 10, 0]  # docs/metrics.md: NPS 0, variance 0.8


def test_nps_difference_uses_the_se_of_both_sides():
    # A: the worked example (p = d = 0.4, var 0.8, n 10). B: 14 promoters, 4 passives, 2
    # detractors → NPS 60, var = 0.7 + 0.1 − 0.6² = 0.44, n 20.
    # SE = 100 × √(0.8/10 + 0.44/20) = 100 × √0.102 = 31.937; 1.96 × SE = 62.60 > 60.
    a, b = _nps(WORKED), _nps([10] * 14 + [8] * 4 + [0] * 2)
    assert a.variance == pytest.approx(0.8) and b.variance == pytest.approx(0.44)
    assert compare.difference_se(a, b) == pytest.approx(31.937, abs=1e-3)
    found = compare.compare(a, b, 5)
    assert found["change"] == pytest.approx(-60) and found["significant"] is False
    # Twice B's sample: SE = 100 × √(0.08 + 0.011) = 30.166; 1.96 × SE = 59.13 < 60.
    bigger = _nps([10] * 28 + [8] * 8 + [0] * 4)
    assert compare.difference_se(a, bigger) == pytest.approx(30.166, abs=1e-3)
    assert compare.compare(a, bigger, 5)["significant"] is True


def test_nps_sample_matches_the_plain_python_reference():
    for scores in (WORKED, [10, 10, 9, 3, 8, 7, 0], [9] * 5):
        value, variance, n = _nps_reference(scores)
        sample = _nps(scores)
        assert (sample.value, sample.n) == (pytest.approx(value), n)
        assert sample.variance == pytest.approx(variance)


def test_rates_use_the_pooled_two_proportion_test():
    # 45/100 against 30/100: pooled 0.375, SE = 100 × √(0.375 × 0.625 × 0.02) = 6.8465;
    # 15 > 1.96 × 6.8465 = 13.42 → significant. 40/100: pooled 0.35, SE 6.745, 10 < 13.22.
    a, b = compare.proportion_sample(45, 100), compare.proportion_sample(30, 100)
    assert compare.difference_se(a, b) == pytest.approx(6.8465, abs=1e-4)
    assert compare.compare(a, b, 5) | {"se": None} == {
        "n": 100,
        "previous_n": 100,
        "previous": pytest.approx(30.0),
        "change": pytest.approx(15.0),
        "se": None,
        "significant": True,
        "too_few": False,
    }
    assert compare.compare(compare.proportion_sample(40, 100), b, 5)["significant"] is False


def test_means_use_welch_with_the_sample_variances():
    a_values, b_values = [1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 9, 10]
    a = compare.mean_sample(len(a_values), sum(a_values), sum(v * v for v in a_values))
    b = compare.mean_sample(len(b_values), sum(b_values), sum(v * v for v in b_values))
    assert a.variance == pytest.approx(statistics.variance(a_values))  # 2.5
    reference = math.sqrt(statistics.variance(a_values) / 5 + statistics.variance(b_values) / 7)
    assert compare.difference_se(a, b) == pytest.approx(reference)  # √(0.5 + 4.667/7) = 1.0801
    found = compare.compare(a, b, 5)
    assert found["change"] == pytest.approx(-4) and found["significant"] is True


@pytest.mark.parametrize(("n_now", "n_before"), [(4, 100), (100, 4), (1, 1), (0, 100)])
def test_below_the_minimum_sample_on_either_side_there_is_no_change_and_no_mark(n_now, n_before):
    # Even a difference of 100 points: too few to compare.
    found = compare.compare(
        compare.proportion_sample(n_now, n_now), compare.proportion_sample(0, n_before), 5
    )
    assert found == {
        "n": n_now,
        "previous_n": n_before,
        "previous": 0.0 if n_before else None,
        "change": None,
        "se": None,
        "significant": None,
        "too_few": True,
    }


def test_the_old_interval_overlap_case_is_too_few_to_compare():
    """The issue's case: NPS −71 against a previous period of one answer (margin 0)."""
    now = _nps([10] * 4 + [8] * 2 + [0] * 4)
    before = _nps([10])
    assert compare.compare(now, before, 5)["too_few"] is True
    assert compare.compare(now, before, 5)["change"] is None


def test_a_median_change_is_significant_only_when_the_tested_means_move_the_same_way():
    fast = compare.mean_sample(50, 50 * 100.0, 50 * 100.0**2 + 49 * 25.0)  # mean 100, s² 25
    slow = compare.mean_sample(50, 50 * 200.0, 50 * 200.0**2 + 49 * 25.0)  # mean 200, s² 25
    assert compare.compare(fast, slow, 5, shown=90, shown_previous=180)["significant"] is True
    assert compare.compare(fast, slow, 5, shown=90, shown_previous=180)["change"] == -90
    # The medians moved the other way: no mark, whatever the means say.
    assert compare.compare(fast, slow, 5, shown=190, shown_previous=180)["significant"] is False


def test_against_a_target_the_figures_own_interval_must_exclude_it():
    # 90 of 100: Wilson 95 % interval 82.6 … 94.5 %.
    rate = compare.proportion_sample(90, 100)
    assert compare.against_target(rate, 80.0, 5) is True
    assert compare.against_target(rate, 85.0, 5) is False
    assert compare.against_target(compare.proportion_sample(4, 4), 10.0, 5) is None  # too few
    # NPS 0 ± 55.4 (the worked example): a target of 60 is outside, 50 inside.
    assert compare.against_target(_nps(WORKED), 60.0, 5) is True
    assert compare.against_target(_nps(WORKED), 50.0, 5) is False
