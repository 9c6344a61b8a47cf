"""The pure metric functions against docs/metrics.md's worked example and edge cases."""

import statistics

import pytest

from surveys.reports import metrics, snapshot


def nps_counts(scores):
    return (
        sum(s >= 9 for s in scores),
        sum(s in (7, 8) for s in scores),
        sum(s <= 6 for s in scores),
    )


def test_worked_example_nps_is_zero_with_moe_55_4():
    promoters, passives, detractors = nps_counts([10, 9, 9, 8, 7, 6, 5, 3, 10, 0])
    assert (promoters, passives, detractors) == (4, 2, 4)
    assert metrics.nps(promoters, passives, detractors) == 0
    assert round(metrics.nps_moe(promoters, passives, detractors), 1) == 55.4


def test_worked_example_csat_is_62_5_percent_mean_3_625():
    scores = [5, 5, 4, 3, 2, 4, 5, 1]
    satisfied = sum(s >= 4 for s in scores)
    assert metrics.ratio_pct(satisfied, len(scores)) == 62.5
    assert metrics.mean(sum(scores), len(scores)) == 3.625


def test_empty_samples_are_unknown_never_zero():
    assert metrics.nps(0, 0, 0) is None
    assert metrics.nps_moe(0, 0, 0) is None
    assert metrics.ratio_pct(0, 0) is None
    assert metrics.mean(None, 0) is None
    assert metrics.wilson_pct(0, 0) is None
    assert metrics.percentile([], 0.5) is None


def test_all_promoters_has_zero_margin():
    assert metrics.nps(10, 0, 0) == 100
    assert metrics.nps_moe(10, 0, 0) == 0


def test_wilson_interval_contains_the_proportion_and_stays_in_range():
    low, high = metrics.wilson_pct(5, 8)
    assert low < 62.5 < high
    assert metrics.wilson_pct(0, 10)[0] == 0
    assert metrics.wilson_pct(10, 10)[1] == 100
    # A known value: 5 of 8 → about 30.6 % to 86.3 %.
    assert round(low, 1) == 30.6 and round(high, 1) == 86.3


@pytest.mark.parametrize("values", [[7], [1, 2], [5, 1, 9, 3], list(range(1, 101)), [3, 3, 3, 10]])
def test_percentile_matches_statistics_inclusive(values):
    ordered = sorted(values)
    if len(values) > 1:
        deciles = statistics.quantiles(ordered, n=10, method="inclusive")
        assert metrics.percentile(ordered, 0.5) == pytest.approx(statistics.median(ordered))
        assert metrics.percentile(ordered, 0.9) == pytest.approx(deciles[8])
    else:
        assert metrics.percentile(ordered, 0.9) == values[0]


def test_small_samples_are_hidden_below_the_minimum():
    assert metrics.shown(4, 5) is False
    assert metrics.shown(5, 5) is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_report_transaction_turns_jit_off_only_inside_it():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        before = cursor.fetchone()[0]
        with snapshot.report_transaction():
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
            cursor.execute("SHOW work_mem")
            assert cursor.fetchone()[0] == "64MB"
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == before  # LOCAL: nothing leaks to the pooled connection
