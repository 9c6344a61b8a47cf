"""Display formatting. Rounding happens here, at display time only (docs/metrics.md).

Every number is rounded half away from zero with ``Decimal`` (5.667 % → "5.7 %", NPS 31.5 →
"32") and only then localised: Django's ``number_format`` cuts the digits it drops, so it is
only ever given a number that already has the wanted decimals.

A dashboard page shows about two thousand numbers. While thousands are not grouped
(``USE_THOUSAND_SEPARATOR`` off: Django's default and this project's), a rounded number is
written with its digits and the language's decimal separator, which is what ``number_format``
gives, without its lookups per call (with the counts of ``count``, about 5 % of a
10,000-response dashboard's instructions: docs/benchmarks.md); with grouping on,
``number_format`` writes them. tests/reports/test_formatting.py holds both to ``number_format``
in every language shipped.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# Duration units, smallest first: (seconds in one, how many make the next unit, label).
UNITS = (
    (1, 60, gettext_noop("%(n)s s")),
    (60, 60, gettext_noop("%(n)s min")),
    (3600, 24, gettext_noop("%(n)s h")),
    (86400, None, gettext_noop("%(n)s d")),
)


# The step of each number of decimals the pages show (1, 0.1, 0.01), made once.
_STEPS = {places: Decimal(1).scaleb(-places) for places in range(3)}


def rounded(number: float, places: int) -> Decimal:
    """``number`` rounded half up (away from zero) to ``places`` decimals.

    Read from ``repr`` so that 0.05 is five hundredths, as written, not the binary double
    just below it.
    """
    return Decimal(repr(float(number))).quantize(_STEPS.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _localised(number: Decimal, places: int) -> str:
    """``number``, already rounded to ``places`` decimals, as ``number_format`` writes it."""
    if settings.USE_THOUSAND_SEPARATOR:
        return number_format(number, places)
    if not number:
        number = abs(number)  # no "-0.0", as number_format
    text = f"{number:.{places}f}"
    return text.replace(".", get_format("DECIMAL_SEPARATOR"), 1) if places else text


def count(n: int) -> str:
    """A count as a template would show it (``localize``)."""
    return number_format(n) if settings.USE_THOUSAND_SEPARATOR else str(n)


def _readable(amount: float, size: int) -> tuple[Decimal, int]:
    """``amount`` of a unit, as docs/metrics.md shows durations: seconds with one decimal under
    10 and whole above; minutes, hours and days always with one decimal (1,668.5 s is
    "27.8 min")."""
    one = rounded(amount, 1)
    if size > 1 or one < 10:
        return one, 1
    return rounded(amount, 0), 0


def duration(seconds: float | None) -> str:
    """Seconds in the largest unit that reads naturally: "45 s", "9.5 s", "1.5 min",
    "27.8 min", "3.3 h", "2.2 d". The unit is chosen after rounding, so 59.5 s is "1.0 min",
    never "60 s"."""
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else ""
    seconds = abs(seconds)
    for size, next_at, label in UNITS:
        amount, places = _readable(seconds / size, size)
        if next_at is None or amount < next_at:
            return sign + _(label) % {"n": _localised(amount, places)}
    raise AssertionError("unreachable: the last unit has no next one")


def value(number: float | None, unit: str) -> str:
    """A figure in its unit: NPS as a whole number, percentages with one decimal, means with
    two, seconds as a duration."""
    if number is None:
        return "—"
    if unit == "seconds":
        return duration(number)
    if unit == "score":
        whole = rounded(number, 0)
        return _localised(whole if whole else Decimal(0), 0)  # -0.4 rounds to 0, never "-0"
    if unit == "pct":
        return f"{_localised(rounded(number, 1), 1)} %"
    return _localised(rounded(number, 2), 2)


def change(number: float | None, unit: str) -> str:
    """A signed difference: percentages in points, durations as durations."""
    if number is None:
        return ""
    sign = "+" if number >= 0 else "−"
    if unit == "seconds":
        return sign + duration(abs(number))
    if unit == "pct":
        return sign + _("%(n)s pts") % {"n": _localised(rounded(abs(number), 1), 1)}
    return sign + value(abs(number), unit)
