"""Calendar arithmetic of report periods: the buckets of a trend (day, week from Monday,
month) and the months and quarters of the filter presets. Dates only, no time zone: a
report day is already a site day (filters.py)."""

from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or, negative, before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def bucket_start(day: date, kind: str) -> date:
    """The first day of the ``kind`` ("day", "week", "month") bucket holding ``day``."""
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    return month_start(day)


def bucket_end(start: date, kind: str) -> date:
    """The first day after the bucket starting on ``start``."""
    if kind == "day":
        return start + timedelta(days=1)
    if kind == "week":
        return start + timedelta(days=7)
    return add_months(start, 1)


def bucket_starts(start: date, end: date, kind: str) -> list[date]:
    """Every bucket that overlaps ``[start, end)``, in order."""
    out, current = [], bucket_start(start, kind)
    while current < end:
        out.append(current)
        current = bucket_end(current, kind)
    return out
