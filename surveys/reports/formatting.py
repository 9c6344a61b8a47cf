"""Display formatting. Rounding happens here, at display time only (METRICS.md)."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 3600:
        return _("%(m)d min") % {"m": max(0, seconds // 60)}
    if seconds < 86400:
        return _("%(h)d h %(m)02d min") % {"h": seconds // 3600, "m": seconds % 3600 // 60}
    return _("%(d)d d %(h)d h") % {"d": seconds // 86400, "h": seconds % 86400 // 3600}


def value(number: float | None, unit: str) -> str:
    """A figure in its unit: NPS as a whole number, percentages with one decimal, seconds as a duration."""
    if number is None:
        return "—"
    if unit == "seconds":
        return duration(number)
    if unit == "score":
        return number_format(round(number), 0)
    if unit == "pct":
        return f"{number_format(number, 1)} %"
    return number_format(number, 2)


def change(number: float | None, unit: str) -> str:
    """A signed difference: percentages in points, durations as durations."""
    if number is None:
        return ""
    sign = "+" if number >= 0 else "−"
    if unit == "seconds":
        return sign + duration(abs(number))
    if unit == "pct":
        return sign + _("%(n)s pts") % {"n": number_format(abs(number), 1)}
    return sign + value(abs(number), unit)
