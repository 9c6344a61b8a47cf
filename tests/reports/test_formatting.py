"""Display formatting: rounding only here, units as METRICS.md says."""

from surveys.reports import formatting


def test_values_in_their_units():
    assert formatting.value(None, "pct") == "—"
    assert formatting.value(37.5, "score") == "38"
    assert formatting.value(62.5, "pct") == "62.5 %"
    assert formatting.value(3.625, "mean") in ("3.62", "3.63")  # banker's or half-up rounding
    assert formatting.value(90, "seconds") == "1 min"
    assert formatting.value(3 * 3600 + 20 * 60, "seconds") == "3 h 20 min"
    assert formatting.value(2 * 86400 + 5 * 3600, "seconds") == "2 d 5 h"


def test_changes_are_signed_and_in_points_for_percentages():
    assert formatting.change(None, "pct") == ""
    assert formatting.change(2.5, "pct") == "+2.5 pts"
    assert formatting.change(-10, "score") == "−10"
    assert formatting.change(-7200, "seconds") == "−2 h 00 min"
