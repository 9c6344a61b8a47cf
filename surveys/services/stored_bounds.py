"""Rows already stored outside the bounds (surveys/bounds.py), found and repaired.

Before issue 11 a signed event could store ``0001-01-01T00:00:00+14:00`` (year 1 BC in UTC),
which psycopg cannot read back: every page listing the row answered 500. So nothing here reads
such a value: the scan compares in SQL and selects primary keys only, and the repair is an
UPDATE with no RETURNING.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q

from ..bounds import EARLIEST, EARLIEST_DATE, LATEST, LATEST_DATE, seconds_problem
from ..models import Ticket

SAMPLE_IDS = 20


@dataclass(frozen=True)
class OutOfBounds:
    """The rows of one column outside the window: how many, and the first SAMPLE_IDS ids."""

    model: type[models.Model]
    field: str
    count: int
    ids: tuple

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


def _window(field) -> tuple | None:
    """(lowest, first value past the window, last value inside it) for a date or datetime
    column, else None. A stored day is a day of the window: 2100-01-01 is past it."""
    if isinstance(field, models.DateTimeField):
        return EARLIEST, LATEST, LATEST - timedelta(microseconds=1)
    if isinstance(field, models.DateField):
        return EARLIEST_DATE, LATEST_DATE, LATEST_DATE - timedelta(days=1)
    return None


def _bounded_fields():
    """(model, field name, window) for every date and datetime column of this app."""
    for model in apps.get_app_config("surveys").get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if (window := _window(field)) is not None:
                yield model, field.name, window


def _outside(field: str, low, high) -> Q:
    return Q(**{f"{field}__lt": low}) | Q(**{f"{field}__gte": high})


def stored_bounds_find() -> list[OutOfBounds]:
    """Every date/datetime column of the surveys app with rows outside [2000-01-01, 2100-01-01),
    with the count and some ids. Reads ids only, never the values themselves."""
    found = []
    for model, field, (low, high, _last) in _bounded_fields():
        outside = model._base_manager.filter(_outside(field, low, high))
        count = outside.count()
        if count:
            ids = tuple(outside.order_by("pk").values_list("pk", flat=True)[:SAMPLE_IDS])
            found.append(OutOfBounds(model=model, field=field, count=count, ids=ids))
    return found


def stored_bounds_repair() -> list[OutOfBounds]:
    """Clamp every stored value outside the window to its nearest edge (2000-01-01T00:00Z, or
    the last microsecond before 2100-01-01T00:00Z; dates to 2000-01-01 or 2099-12-31), in one
    transaction, and recompute the durations of the tickets touched. Returns what it changed.

    Clamping keeps the order of any two values, so "closed after opened" and the other
    ordering constraints still hold; a duration that no longer fits its column becomes
    unknown (NULL). The clamped value is not the true one: the report says which rows to check.
    """
    with transaction.atomic():
        found = stored_bounds_find()
        tickets: set = set()
        for item in found:
            low, high, last = _window(item.model._meta.get_field(item.field))
            manager = item.model._base_manager
            # Their ids, read before the update moves them back inside the window.
            if item.model is Ticket:
                tickets.update(manager.filter(_outside(item.field, low, high)).values_list("pk", flat=True))
            manager.filter(**{f"{item.field}__lt": low}).update(**{item.field: low})
            manager.filter(**{f"{item.field}__gte": high}).update(**{item.field: last})
        for ticket in Ticket.objects.filter(pk__in=tickets):
            ticket.set_durations()
            # A duration past its 32-bit column (one edge clamped, the other far) is unknown.
            durations = {
                name: None if seconds_problem(getattr(ticket, name)) else getattr(ticket, name)
                for name in ("first_response_s", "resolution_s")
            }
            Ticket.objects.filter(pk=ticket.pk).update(**durations)
    return found

