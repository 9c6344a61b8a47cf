"""The bounds every stored value keeps, whatever door it came in by (docs/api.md, "Bounds").

One place for the limits, so the webhook, the CSV import, the Python API, the report filters
and ``manage.py check_bounds`` agree. Pure functions: no database, no Django request.

Why these limits: PostgreSQL stores a year-1 timestamp that psycopg then cannot read back
(every page listing the row answered 500), ``jsonb`` and ``text`` refuse NUL, UTF-8 has no lone
surrogates, and the duration columns are 32-bit integers (2**31 - 1 seconds is 68 years).
"""

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime

from django.utils.translation import gettext_lazy as _

# Timestamps: [EARLIEST, LATEST), compared as instants (any UTC offset).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
EARLIEST_DATE = EARLIEST.date()
LATEST_DATE = LATEST.date()
# Column ranges (PostgreSQL: smallint, integer, bigint).
SMALLINT_MAX = 2**15 - 1
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
# A ticket event is a few levels deep; anything deeper than this is not one.
MAX_JSON_DEPTH = 16
# Unix seconds until the year 33658: enough, and short enough to parse without surprises.
TIMESTAMP_HEADER_MAX_DIGITS = 12


def text_problem(value: str):
    """Why ``value`` cannot be stored as text (a message), or None."""
    if "\x00" in value:
        return _("Must not contain the NUL character (\\u0000).")
    if value.isascii():  # no surrogate can be there: skip the encoding (most keys and values)
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Must not contain a lone surrogate (not valid Unicode).")
    return None


def moment_problem(value: datetime):
    """Why the aware datetime ``value`` is out of bounds (a message), or None."""
    if not EARLIEST <= value < LATEST:
        return _window_message()
    return None


def day_problem(value: date):
    """Why the date ``value`` is out of bounds (a message), or None."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        return _("Must be a date from %(earliest)s to %(latest)s.") % {
            "earliest": EARLIEST_DATE.isoformat(),
            "latest": LATEST_DATE.isoformat(),
        }
    return None


def _window_message():
    return _("Must be from %(earliest)s (included) to %(latest)s (excluded).") % {
        "earliest": EARLIEST.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "latest": LATEST.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def seconds_problem(value: int | None):
    """Why a duration in seconds does not fit its integer column (a message), or None."""
    if value is not None and not 0 <= value <= INTEGER_MAX:
        return _("The time from opened_at is longer than %(max)d seconds (68 years).") % {"max": INTEGER_MAX}
    return None


# What a decoded JSON document holds, plus the datetimes the Python API may pass.
_JSON_SCALARS = (type(None), bool, int, float, str, datetime)
# Exactly these types (not subclasses) need no check at all.
_PLAIN_SCALARS = frozenset((type(None), bool, int))


def json_problems(value, path: str = "") -> dict[str, list]:
    """Every place in a decoded JSON value (or the same shape built in Python) that cannot be
    stored: nesting deeper than MAX_JSON_DEPTH, a key or string with NUL or a lone surrogate,
    a number that is not finite (NaN, Infinity, 1e400). Maps dotted paths to messages.

    Walks with an explicit stack, so a value nested 100,000 deep costs no recursion."""
    problems: dict[str, list] = {}
    stack = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        kind = type(item)
        if kind is str:  # the common cases first, without the ABC checks below
            if problem := text_problem(item):
                problems.setdefault(where, []).append(problem)
            continue
        if kind in _PLAIN_SCALARS:
            continue
        if isinstance(item, Mapping | list | tuple) and depth > MAX_JSON_DEPTH:
            problems.setdefault(where, []).append(
                _("Nested deeper than %(max)d levels.") % {"max": MAX_JSON_DEPTH}
            )
            continue
        if isinstance(item, Mapping):
            for key, child in item.items():
                key_text = str(key)
                child_path = f"{where}.{key_text}" if where else key_text
                if isinstance(key, str) and (problem := text_problem(key)):
                    problems.setdefault(_printable(child_path), []).append(problem)
                    continue
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, list | tuple):
            for index, child in enumerate(item):
                stack.append((child, f"{where}.{index}" if where else str(index), depth + 1))
        elif isinstance(item, str):
            if problem := text_problem(item):
                problems.setdefault(where, []).append(problem)
        elif isinstance(item, float) and not math.isfinite(item):
            problems.setdefault(where, []).append(_("Must be a finite number."))
        elif not isinstance(item, _JSON_SCALARS):  # a Python caller's set, Decimal, object…
            problems.setdefault(where, []).append(_("Not a JSON value."))
    return problems


def _printable(path: str) -> str:
    """A path that can itself be put in a JSON answer and a log line."""
    return path.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")
