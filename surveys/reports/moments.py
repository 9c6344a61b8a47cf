"""Count, sum and sum of squares behind the Welch tests of means (CES, durations).

The daily rollups keep counts and sums but no squares, so these are read from the source
rows: one query per record kind for all the periods compared, each period selected by the
same ReportFilters definition the figures use.
"""

from django.db.models import Count, F, FloatField, Q, Sum, Value
from django.db.models.functions import Cast

from .filters import ReportFilters
from .metrics import DURATIONS
from .rollups_read import select, union

# Which values of each record kind are compared as means: (name, column).
MEANS = {"survey": (("ces", "ces_score"),), "ticket": DURATIONS}


def squared(column: str):
    """``column`` squared, for a sum of squares."""
    # As floats: an int4 duration squared overflows on PostgreSQL after 13 hours.
    value = Cast(F(column), FloatField())
    return value * value


def moments(periods: list[ReportFilters]) -> list[dict]:
    """``[{name: (n, sum, sum of squares)}]`` per period, for ``ces``, ``frt`` and ``res``.

    One query whatever the number of periods: each record kind's aggregates are one row of a
    UNION ALL, in two slots of the same shape (responses fill both with CES)."""
    parts = []
    for source, columns in MEANS.items():
        slots = (columns * 2)[:2]
        aggregates, anywhere = {}, Q()
        for i, period in enumerate(periods):
            rows = period.responses() if source == "survey" else period.tickets()
            inside = Q(pk__in=rows.values("pk"))
            anywhere |= inside
            for slot, (_name, column) in enumerate(slots):
                has = inside & Q(**{f"{column}__isnull": False})
                aggregates |= {
                    f"s{slot}_{i}_n": Count("pk", filter=has),
                    f"s{slot}_{i}_sum": Sum(Cast(F(column), FloatField()), filter=has),
                    f"s{slot}_{i}_sq": Sum(squared(column), filter=has, output_field=FloatField()),
                }
        model = periods[0].responses().model if source == "survey" else periods[0].tickets().model
        parts.append(select(model.objects.filter(anywhere), {"source": Value(source)}, aggregates))
    out: list[dict] = [{} for _ in periods]
    for row in union(parts):
        source, values = row[0], row[1:]
        slots = (MEANS[source] * 2)[:2]
        for i in range(len(periods)):
            for slot, (name, _column) in enumerate(slots):
                at = (i * len(slots) + slot) * 3
                out[i][name] = (values[at], values[at + 1], values[at + 2])
    return out
