"""Count, sum and sum of squares behind the Welch tests of means (CES, durations).

The daily rollups keep counts and sums but no squares, so these are read from the source
rows: one query per record kind for all the periods compared, each period selected by the
same ReportFilters definition the figures use.
"""

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast

from ..metrics import DURATIONS
from .filters import ReportFilters

# Which values of each record kind are compared as means: (name, column).
MEANS = {"survey": (("ces", "ces_score"),), "ticket": DURATIONS}


def _squared(column: str):
    # As floats: an int4 duration squared overflows on PostgreSQL after 13 hours.
    value = Cast(F(column), FloatField())
    return value * value


def moments(periods: list[ReportFilters]) -> list[dict]:
    """``[{name: (n, sum, sum of squares)}]`` per period, for ``ces``, ``frt`` and ``res``.

    Two queries whatever the number of periods."""
    out: list[dict] = [{} for _ in periods]
    for source, columns in MEANS.items():
        aggregates, anywhere = {}, Q()
        for i, period in enumerate(periods):
            rows = period.responses() if source == "survey" else period.tickets()
            inside = Q(pk__in=rows.values("pk"))
            anywhere |= inside
            for name, column in columns:
                has = inside & Q(**{f"{column}__isnull": False})
                aggregates |= {
                    f"{name}_{i}_n": Count("pk", filter=has),
                    f"{name}_{i}_sum": Sum(Cast(F(column), FloatField()), filter=has),
                    f"{name}_{i}_sq": Sum(_squared(column), filter=has, output_field=FloatField()),
                }
        model = periods[0].responses().model if source == "survey" else periods[0].tickets().model
        found = model.objects.filter(anywhere).aggregate(**aggregates)
        for i in range(len(periods)):
            for name, _column in columns:
                out[i][name] = (found[f"{name}_{i}_n"], found[f"{name}_{i}_sum"], found[f"{name}_{i}_sq"])
    return out
