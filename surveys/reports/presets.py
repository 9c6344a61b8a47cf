"""Named periods for the filter form (last 7 days, this quarter, ...).

Each preset is a half-open ``[start, end)`` pair of site days, like every report period
(filters.py): "this month" ends tomorrow, so today is in it and no future day is claimed.
"""

from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from .filters import ReportFilters


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` before the month starting on ``day``."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def date_presets(today: date) -> list[tuple[str, object, date, date]]:
    """``(key, label, start, end)`` for each preset, as of the site day ``today``."""
    tomorrow = today + timedelta(days=1)
    month, quarter = _month_start(today), _quarter_start(today)
    return [
        ("7d", _("Last 7 days"), tomorrow - timedelta(days=7), tomorrow),
        ("30d", _("Last 30 days"), tomorrow - timedelta(days=30), tomorrow),
        ("90d", _("Last 90 days"), tomorrow - timedelta(days=90), tomorrow),
        ("month", _("This month"), month, tomorrow),
        ("last-month", _("Last month"), _months_before(month, 1), month),
        ("quarter", _("This quarter"), quarter, tomorrow),
        ("last-quarter", _("Last quarter"), _months_before(quarter, 3), quarter),
    ]


def preset_links(filters: ReportFilters, today: date, **extra) -> list[dict]:
    """Links keeping every other filter (and ``extra`` params), with the one in use marked."""
    return [
        {
            "key": key,
            "label": label,
            "query": filters.with_period(start, end).querystring(**extra),
            "active": (start, end) == (filters.start, filters.end),
        }
        for key, label, start, end in date_presets(today)
    ]
