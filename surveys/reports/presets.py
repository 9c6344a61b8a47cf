"""Named periods for the filter form (last 7 days, this quarter, ...).

Each preset is a half-open ``[start, end)`` pair of site days, like every report period
(filters.py): "this month" ends tomorrow, so today is in it and no future day is claimed.
"""

from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from .filters import ReportFilters
from .periods import add_months, month_start, quarter_start


def date_presets(today: date) -> list[tuple[str, object, date, date]]:
    """``(key, label, start, end)`` for each preset, as of the site day ``today``."""
    tomorrow = today + timedelta(days=1)
    month, quarter = month_start(today), quarter_start(today)
    return [
        ("7d", _("Last 7 days"), tomorrow - timedelta(days=7), tomorrow),
        ("30d", _("Last 30 days"), tomorrow - timedelta(days=30), tomorrow),
        ("90d", _("Last 90 days"), tomorrow - timedelta(days=90), tomorrow),
        ("month", _("This month"), month, tomorrow),
        ("last-month", _("Last month"), add_months(month, -1), month),
        ("quarter", _("This quarter"), quarter, tomorrow),
        ("last-quarter", _("Last quarter"), add_months(quarter, -3), quarter),
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
