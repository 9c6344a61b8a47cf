"""Display formatting: rounded half up (never cut) at every edge, units as docs/metrics.md says."""

import pytest
from django.utils import translation

from surveys.reports import formatting


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (0, "0.0 %"),
        (0.04, "0.0 %"),
        (0.05, "0.1 %"),  # half up, read as written (the double is just below 0.05)
        (2.675, "2.7 %"),
        (5.667, "5.7 %"),  # number_format cut this to 5.6
        (65.667, "65.7 %"),
        (100 * 17 / 300, "5.7 %"),
        (62.5, "62.5 %"),
        (99.94, "99.9 %"),
        (99.95, "100.0 %"),
        (100, "100.0 %"),
    ],
)
def test_percentages_round_half_up_to_one_decimal(number, shown):
    assert formatting.value(number, "pct") == shown


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (31.5, "32"),
        (32.5, "33"),
        (37.5, "38"),
        (0.49, "0"),
        (-0.4, "0"),
        (-0.5, "-1"),
        (-31.5, "-32"),
        (100, "100"),
    ],
)
def test_nps_rounds_half_away_from_zero_never_to_even(number, shown):
    assert formatting.value(number, "score") == shown


def test_means_round_half_up_to_two_decimals():
    assert formatting.value(3.625, "mean") == "3.63"
    assert formatting.value(5.2349, "mean") == "5.23"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0.0 s"),
        (0.05, "0.1 s"),
        (9.94, "9.9 s"),
        (9.95, "10 s"),  # 10 of a unit: whole numbers from here
        (59.4, "59 s"),
        (59.5, "1.0 min"),  # rounds to 60 s, so shown in the next unit
        (90, "1.5 min"),
        (9.94 * 60, "9.9 min"),
        (9.95 * 60, "10.0 min"),
        (1668.5, "27.8 min"),  # docs/metrics.md's example; was cut to "27 min"
        (3569, "59.5 min"),
        (3597, "1.0 h"),
        (12000, "3.3 h"),
        (9.95 * 3600, "10.0 h"),
        (86399, "1.0 d"),
        (2 * 86400 + 5 * 3600, "2.2 d"),
        (45 * 86400, "45.0 d"),
        (None, "—"),
    ],
)
def test_durations_in_readable_units_one_decimal_under_ten(seconds, shown):
    assert formatting.value(seconds, "seconds") == shown
    assert formatting.duration(seconds) == shown


def test_none_is_a_dash_in_every_unit():
    for unit in ("pct", "score", "mean", "seconds"):
        assert formatting.value(None, unit) == "—"


def test_changes_are_signed_rounded_and_in_points_for_percentages():
    assert formatting.change(None, "pct") == ""
    assert formatting.change(2.5, "pct") == "+2.5 pts"
    assert formatting.change(-2.45, "pct") == "−2.5 pts"
    assert formatting.change(-10, "score") == "−10"
    assert formatting.change(-7200, "seconds") == "−2.0 h"  # was "−2 h 00 min"
    assert formatting.change(1668.5, "seconds") == "+27.8 min"


def test_rounding_happens_before_localising():
    with translation.override("zh-hans"):
        assert formatting.value(5.667, "pct") == "5.7 %"
        assert formatting.duration(90) == "1.5 min"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (45, "45 s"),
        (89, "1 min"),
        (90, "2 min"),
        (5399, "1 h 30 min"),
        (3599, "1 h 00 min"),
        (86399, "1 day 0 h"),
        (2 * 86400 + 3 * 3600 + 1800, "2 days 4 h"),
    ],
)
def test_admin_ticket_durations_round_to_the_minute_or_hour_never_cut(seconds, shown):
    from surveys.admin.widgets import duration_display

    assert duration_display(seconds) == shown


@pytest.mark.parametrize(
    "number",
    ["0", "0.0", "-0.0", "-0.00", "5.7", "-5.7", "99.95", "100.0", "3.63", "-0.04", "12345.6", "-12345.68", "7"],
)
def test_numbers_are_written_as_number_format_writes_them(settings, number):
    """The twin of the shortcut around number_format (formatting._localised): the same text in
    every language shipped, without grouping (the project's setting) and with it."""
    from decimal import Decimal

    from django.utils.formats import number_format

    number = Decimal(number)
    places = max(0, -number.as_tuple().exponent)
    for grouping in (False, True):
        settings.USE_THOUSAND_SEPARATOR = grouping
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                assert formatting._localised(number, places) == number_format(number, places)
                assert formatting.count(int(number)) == number_format(int(number))


def test_grouped_thousands_when_the_setting_asks_for_them(settings):
    assert formatting.value(12345.678, "mean") == "12345.68"
    assert formatting.count(12345) == "12345"
    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override("en"):
        assert formatting.value(12345.678, "mean") == "12,345.68"
        assert formatting.count(12345) == "12,345"
