"""Improvement actions' before/after figures against a plain-Python reference (docs/metrics.md)."""

import math
import statistics
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from surveys import models as m
from surveys.reports.effects import action_effects, effect_periods
from tests.factories import TeamFactory
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)
START = date(2026, 3, 21)  # ten whole days before TODAY: before = [03-11, 03-21), after = [03-21, 03-31)


def action(**kwargs):
    defaults = {"title": "Plan", "goal": "Better", "started_on": START, "status": m.ImprovementStatus.IN_PROGRESS}
    return m.ImprovementAction.objects.create(**(defaults | kwargs))


def nps_reference(scores):
    n = len(scores)
    p = sum(s >= 9 for s in scores) / n
    d = sum(s <= 6 for s in scores) / n
    return 100 * (p - d), p + d - (p - d) ** 2, n


def responses(team, day, scores, **kwargs):
    for score in scores:
        response(ticket(at(day), team=team), at(day, 10), nps=score, **kwargs)


def test_nps_before_and_after_in_the_actions_team_match_a_plain_python_reference():
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    before = [0, 3, 6, 6, 8, 9, 10, 5]
    after = [9, 10, 10, 9, 8, 7, 10, 9, 6, 10]
    responses(north, START - timedelta(days=10), before[:4])  # the first day of "before"
    responses(north, START - timedelta(days=1), before[4:])
    responses(north, START, after[:5])
    responses(north, TODAY - timedelta(days=1), after[5:])  # the last day of "after"
    # Outside both periods, or in another team: never counted.
    responses(north, START - timedelta(days=11), [0, 0, 0])
    responses(north, TODAY, [0, 0, 0])
    responses(south, START, [0, 0, 0, 0, 0, 0])
    plan = action(metric=m.Metric.NPS, team=north, target_value=Decimal("40"))

    [row] = action_effects([plan], today=TODAY)

    value_b, var_b, n_b = nps_reference(before)
    value_a, var_a, n_a = nps_reference(after)
    se = 100 * math.sqrt(var_a / n_a + var_b / n_b)
    assert row["days"] == 10
    assert (row["before"]["start"], row["before"]["end"]) == (date(2026, 3, 11), START)
    assert (row["after"]["start"], row["after"]["end"]) == (START, TODAY)
    assert row["before"]["n"] == n_b and row["after"]["n"] == n_a
    assert row["before"]["value"] == pytest.approx(value_b)
    assert row["after"]["value"] == pytest.approx(value_a)
    assert row["change"] == pytest.approx(value_a - value_b)
    assert row["significant"] is (abs(value_a - value_b) > 1.96 * se)
    assert row["significant"] is True and row["too_few"] is False
    assert row["target"] == {"value": 40.0, "comparison": "gte", "reached": True}


def test_a_rate_in_the_actions_category_matches_the_pooled_two_proportion_test():
    complaints_before, complaints_after = [True] * 4 + [False] * 6, [True] * 1 + [False] * 11
    for flag in complaints_before:
        ticket(at(START - timedelta(days=3)), category="billing", is_complaint=flag)
    for flag in complaints_after:
        ticket(at(START + timedelta(days=2)), category="billing", is_complaint=flag)
    for _ in range(5):
        ticket(at(START + timedelta(days=2)), category="technical", is_complaint=True)
    plan = action(
        metric=m.Metric.COMPLAINT_RATE,
        category="billing",
        target_comparison=m.Comparison.LTE,
        target_value=Decimal("5"),
    )

    [row] = action_effects([plan], today=TODAY)

    x1, n1, x2, n2 = sum(complaints_before), len(complaints_before), sum(complaints_after), len(complaints_after)
    p1, p2 = 100 * x1 / n1, 100 * x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = 100 * math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert (row["before"]["value"], row["before"]["n"]) == (pytest.approx(p1), n1)
    assert (row["after"]["value"], row["after"]["n"]) == (pytest.approx(p2), n2)
    assert row["change"] == pytest.approx(p2 - p1)
    assert row["significant"] is (abs(p2 - p1) > 1.96 * se)
    # 8.3 % after: the target "≤ 5 %" is not reached.
    assert row["target"]["reached"] is False


def test_a_duration_shows_the_median_change_tested_with_welch_on_the_means():
    before_s = [3600, 7200, 9000, 10800, 14400, 20000]
    after_s = [600, 900, 1200, 1800, 2400, 3000, 30000]
    for seconds in before_s:
        ticket(at(START - timedelta(days=5)), channel="chat", frt_s=seconds, res_s=seconds + 60)
    for seconds in after_s:
        ticket(at(START + timedelta(days=5)), channel="chat", frt_s=seconds, res_s=seconds + 60)
    ticket(at(START + timedelta(days=5)), channel="email", frt_s=99999, res_s=99999 + 60)
    plan = action(
        metric=m.Metric.FIRST_RESPONSE_TIME,
        channel="chat",
        target_comparison=m.Comparison.LT,
        target_value=Decimal("3600"),
    )

    [row] = action_effects([plan], today=TODAY)

    welch = math.sqrt(statistics.variance(before_s) / len(before_s) + statistics.variance(after_s) / len(after_s))
    tested = statistics.mean(after_s) - statistics.mean(before_s)
    assert row["before"]["value"] == pytest.approx(statistics.median(before_s))
    assert row["after"]["value"] == pytest.approx(statistics.median(after_s))
    assert row["change"] == pytest.approx(statistics.median(after_s) - statistics.median(before_s))
    assert row["significant"] is (abs(tested) > 1.96 * welch)
    assert row["target"]["reached"] is True  # median 1,800 s < 3,600 s


def test_below_the_minimum_sample_nothing_is_compared_and_no_target_is_judged():
    responses(None, START - timedelta(days=2), [0, 0, 0, 0, 0, 0])
    responses(None, START + timedelta(days=2), [10, 10, 10, 10])  # n = 4 < 5
    plan = action(metric=m.Metric.NPS, target_value=Decimal("0"))

    [row] = action_effects([plan], today=TODAY)

    assert row["after"]["n"] == 4 and row["after"]["shown"] is False
    assert row["before"]["shown"] is True
    assert row["change"] is None and row["significant"] is None and row["too_few"] is True
    assert row["target"]["reached"] is None


def test_the_period_length_is_the_time_since_the_start_capped_by_the_setting():
    plan = action(metric=m.Metric.CSAT, started_on=TODAY - timedelta(days=200))
    with override_settings(IMPROVEMENT_EFFECT_MAX_DAYS=30):
        before, after = effect_periods(plan, today=TODAY)
    assert (before.start, before.end, after.start, after.end) == (
        plan.started_on - timedelta(days=30),
        plan.started_on,
        plan.started_on,
        plan.started_on + timedelta(days=30),
    )
    started_today = action(metric=m.Metric.CSAT, started_on=TODAY)
    without_metric = action(metric="")
    rows = action_effects([started_today, without_metric], today=TODAY)
    assert [row["measured"] for row in rows] == [False, False]
    assert all(row["change"] is None for row in rows)


def test_open_actions_past_their_due_day_are_overdue_and_finished_ones_are_not():
    late = action(due_on=TODAY - timedelta(days=1))
    done_late = action(due_on=TODAY - timedelta(days=1), status=m.ImprovementStatus.DONE)
    due_today = action(due_on=TODAY)
    rows = action_effects([late, done_late, due_today], today=TODAY)
    assert [row["overdue"] for row in rows] == [True, False, False]


def test_every_actions_figures_are_read_in_one_statement(django_assert_max_num_queries):
    for i in range(6):
        responses(None, START - timedelta(days=1), [i, 9, 10, 3, 8])
        ticket(at(START + timedelta(days=1)), category=f"c{i}")
    plans = [
        action(metric=metric, category=f"c{i}")
        for i, metric in enumerate(
            [m.Metric.NPS, m.Metric.CES, m.Metric.RESPONSE_RATE, m.Metric.FCR, m.Metric.RESOLUTION_TIME]
        )
    ]
    with CaptureQueriesContext(connection) as one:
        action_effects(plans[:1], today=TODAY)
    with CaptureQueriesContext(connection) as five:
        rows = action_effects(plans, today=TODAY)
    assert len(one) == 1
    assert len(five) == (1 if connection.vendor == "postgresql" else 2)
    assert all(row["measured"] for row in rows)


def test_an_action_cannot_aim_at_a_target_without_a_metric_nor_at_the_response_count():
    with transaction.atomic(), pytest.raises(IntegrityError):
        action(metric="", target_value=Decimal("1"))
    with transaction.atomic(), pytest.raises(IntegrityError):
        action(metric=m.Metric.RESPONSES)
