"""The month rows of the day rollups (grains.MONTH), kept equal to the sum of their day rows.

Whenever rollups_write.py rewrites days of a kind, the months holding those days are
rewritten here from the day rows just written, for every grain that keeps month rows, and
likewise TicketTimeDay's bucket counts. A month row therefore always holds exactly what its
day rows hold, partial months included; readers (rollups_read.grain_rows) use it only for a
whole month inside the closed days.
"""

from datetime import date

from django.db.models import F, Q, Sum, Value
from django.db.models.functions import TruncMonth

from ..models import TicketTimeDay
from .grains import MONTH, Kind, rollup_aggregates
from .periods import add_months, month_start
from .rollups_read import column, select


def months_of(days: list[date] | None) -> list[date] | None:
    """The first days of the months holding ``days`` (None: every month)."""
    return None if days is None else sorted({month_start(d) for d in days})


def _within(months: list[date] | None) -> Q:
    """Day rows of one of ``months``."""
    if months is None:
        return Q()
    q = Q(pk__in=[])
    for first in months:
        q |= Q(day__gte=first, day__lt=add_months(first, 1))
    return q


def recompute(kind: Kind, months: list[date] | None, insert_grain) -> None:
    """Rewrite the month rows of ``kind`` for ``months`` (None: all) from its day rows."""
    if months is not None and not months:
        return
    flagged = [kind.mask(grain) | MONTH for grain in kind.monthly]
    stale = kind.model.objects.filter(grain__in=flagged)
    (stale if months is None else stale.filter(day__in=months)).delete()
    for grain in kind.monthly:
        days = kind.model.objects.filter(_within(months), grain=kind.mask(grain))
        keys = {d: F(column(d)) for d in (*grain, *kind.always)}
        insert_grain(kind, grain, days, keys, rollup_aggregates(kind), day=TruncMonth("day"), flag=MONTH)


def recompute_times(months: list[date] | None, insert) -> None:
    """The same for TicketTimeDay (grain 0: days, MONTH: months)."""
    if months is not None and not months:
        return
    stale = TicketTimeDay.objects.filter(grain=MONTH)
    (stale if months is None else stale.filter(day__in=months)).delete()
    days = TicketTimeDay.objects.filter(_within(months), grain=0)
    group = {"grain": Value(MONTH), "day": TruncMonth("day"), "measure": F("measure"), "bucket": F("bucket")}
    insert(TicketTimeDay, list(group) + ["n"], select(days, group, {"n": Sum("n")}))
