"""Delighted's list and filter parameters, checked: Unix-second times, pages, order, expand.

Every refusal is a 422 naming the parameter, as Delighted answers a bad attribute."""

from dataclasses import dataclass
from datetime import UTC, datetime

from ..bounds import text_problem
from .http import invalid

# The same instants every other door accepts (surveys/bounds.py, docs/api.md "Bounds").
MIN_UNIX = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
MAX_UNIX = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp()) - 1
MAX_PAGE = 1_000_000
ORDERS = {
    "asc": ("started_at", False),
    "desc": ("started_at", True),
    "asc:updated_at": ("updated_at", False),
    "desc:updated_at": ("updated_at", True),
}
EXPANDABLE = {"person", "notes"}


def single(params, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if text_problem(value) or len(value) > 200:
        raise invalid(name, "is invalid")
    return value


def unix_time(params, name: str) -> datetime | None:
    """A Unix timestamp in whole seconds (Delighted's only time format), or None if absent."""
    value = single(params, name)
    if value is None:
        return None
    if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 12:
        raise invalid(name, "must be a Unix timestamp in whole seconds")
    seconds = int(value)
    if not MIN_UNIX <= seconds <= MAX_UNIX:
        raise invalid(name, "must be between 2000-01-01 and 2099-12-31")
    return datetime.fromtimestamp(seconds, tz=UTC)


def whole(params, name: str, *, default: int, low: int, high: int) -> int:
    value = single(params, name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise invalid(name, f"must be a whole number from {low} to {high}")
    number = int(value)
    if not low <= number <= high:
        raise invalid(name, f"must be a whole number from {low} to {high}")
    return number


def identifier(params, name: str) -> int | None:
    """An id (``trend``, ``person_id``): digits, 1 to 2⁶³ − 1."""
    value = single(params, name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**63:
        raise invalid(name, "must be an id")
    return int(value)


@dataclass(frozen=True)
class Window:
    since: datetime | None
    until: datetime | None


def window(params, since: str = "since", until: str = "until") -> Window:
    """``since`` and ``until``, both included, as Delighted reads them."""
    low, high = unix_time(params, since), unix_time(params, until)
    if low is not None and high is not None and high < low:
        raise invalid(until, f"must not be before {since}")
    return Window(low, high)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    def slice(self, queryset):
        start = (self.number - 1) * self.size
        return queryset[start : start + self.size]


def page(params) -> Page:
    """``page`` (from 1) and ``per_page`` (1–100, default 20)."""
    return Page(
        number=whole(params, "page", default=1, low=1, high=MAX_PAGE),
        size=whole(params, "per_page", default=20, low=1, high=100),
    )


def order(params) -> tuple[str, bool]:
    """(field, descending) from ``order``: ``asc`` (default), ``desc``, ``asc:updated_at``,
    ``desc:updated_at``."""
    value = single(params, "order") or "asc"
    if value not in ORDERS:
        raise invalid("order", "must be one of: " + ", ".join(ORDERS))
    return ORDERS[value]


def expand(params) -> set[str]:
    """``expand[]=person`` (also ``expand=person`` as some clients send it)."""
    values = params.getlist("expand[]") + params.getlist("expand")
    wanted = set()
    for value in values:
        for item in value.split(","):
            if item.strip() not in EXPANDABLE:
                raise invalid("expand", "may only hold: " + ", ".join(sorted(EXPANDABLE)))
            wanted.add(item.strip())
    return wanted
