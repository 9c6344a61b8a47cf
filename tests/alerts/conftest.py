"""Alert-rule fixtures: a fixed moment the clock is moved to, and a rule builder."""

from datetime import UTC, datetime

import pytest
import time_machine

from surveys import models as m

# A fixed moment; every test moves the clock there (time-machine), so no test reads the
# real date.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_rule(**kwargs) -> m.AlertRule:
    defaults = {
        "name": "NPS below zero",
        "metric": m.Metric.NPS,
        "comparison": m.Comparison.LT,
        "threshold": 0,
        "window_hours": 24,
        "min_n": 2,
        "cooldown_minutes": 60,
        "recipients": "lead@example.com\nboss@example.com",
    }
    return m.AlertRule.objects.create(**(defaults | kwargs))


@pytest.fixture(autouse=True)
def _small_minimum_sample(settings):
    # Rules here are judged on two or three answers; the floor itself has its own test.
    settings.REPORT_MIN_SAMPLE = 1
