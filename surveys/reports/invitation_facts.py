"""InvitationFact and NonResponseDay (surveys/models/rollups.py), written with the invitation
rollups and read by the non-response check (nonresponse.py) for the closed days.

InvitationFact holds one narrow row per sent invitation (for the exact medians, walked in
index order); NonResponseDay sums them per day, grain and side (for the counts).
"""

from datetime import date

from django.db.models import BooleanField, Case, Count, F, FloatField, Q, Sum, Value, When

from ..models.rollups import InvitationFact, NonResponseDay
from . import rollups_read
from .aggregates import fcr_q, histogram_aggregates, sla_met, squared
from .grains import FILTER_DIMS, Kind, local_day, rollup_aggregates

# The day rollup of the check: every grain the invitation rollups keep, by side.
NONRESPONSE = Kind(
    "nonresponse",
    NonResponseDay,
    FILTER_DIMS,
    ((), *((d,) for d in FILTER_DIMS), FILTER_DIMS),
    always=("answered",),
)

SIDES = ("answered", "not_answered")


def _flag(q: Q):
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def columns() -> dict:
    """How a sent Invitation becomes an InvitationFact row (docs/metrics.md, "Who answered")."""
    return {
        "invitation": F("pk"),
        "day": local_day("sent_at"),
        "campaign": F("campaign_id"),
        "team": F("ticket__team_id"),
        "agent": F("ticket__agent_id"),
        "category": F("ticket__category"),
        "priority": F("ticket__priority"),
        "channel": F("ticket__channel"),
        "segment": F("ticket__customer__segment"),
        "answered": _flag(Q(response__isnull=False)),
        "resolved": _flag(Q(ticket__resolved_at__isnull=False)),
        "fcr": _flag(fcr_q("ticket__")),
        "sla_resolution_met": sla_met("resolution_s", "sla_resolution_target_s", "ticket__"),
        "resolution_s": F("ticket__resolution_s"),
    }


def write(invitations, insert, select) -> None:
    """Replace the facts of ``invitations`` (sent ones) with rows computed from them now.
    ``insert`` and ``select`` are rollups_write's INSERT … SELECT helpers."""
    sent = invitations.filter(sent_at__isnull=False)
    InvitationFact.objects.filter(invitation_id__in=sent.values("pk")).delete()
    found = columns()
    insert(InvitationFact, list(found), select(sent, found))


def delete_days(days: list[date] | None) -> None:
    for model in (InvitationFact, NonResponseDay):
        rows = model.objects.all()
        (rows if days is None else rows.filter(day__in=days)).delete()


def day_aggregates() -> dict:
    """NonResponseDay's counts over InvitationFact rows (nonresponse._aggregates' per side)."""
    return {
        "n": Count("pk"),
        "resolved": Count("pk", filter=Q(resolved=True)),
        "fcr": Count("pk", filter=Q(fcr=True)),
        "sla_n": Count("sla_resolution_met"),
        "sla_met": Count("pk", filter=Q(sla_resolution_met=True)),
        "res_n": Count("resolution_s"),
        "res_sum": Sum("resolution_s"),
        "res_sq": Sum(squared("resolution_s"), output_field=FloatField()),
    } | histogram_aggregates((("res", "resolution_s"),))


def side_q(side: str) -> Q:
    return Q(answered=side == "answered")


def write_days(days: list[date] | None, insert_grain) -> None:
    """NonResponseDay for ``days`` (None: all) from their InvitationFact rows: the full grain
    from the facts, every other grain from the full one (as rollups_write does for the others).
    ``insert_grain`` is rollups_write's."""
    kind = NONRESPONSE
    facts = InvitationFact.objects.all() if days is None else InvitationFact.objects.filter(day__in=days)
    keys = {d: F(rollups_read.column(d)) for d in (*kind.dims, *kind.always)}
    insert_grain(kind, kind.dims, facts, keys, day_aggregates())
    full = NonResponseDay.objects.filter(grain=kind.mask(kind.dims))
    if days is not None:
        full = full.filter(day__in=days)
    for grain in kind.grains:
        if grain != kind.dims:
            keys = {d: F(rollups_read.column(d)) for d in (*grain, *kind.always)}
            insert_grain(kind, grain, full, keys, rollup_aggregates(kind))


def closed_counts(filters, closed_end: date) -> dict[str, dict]:
    """``{side: counts}`` of the period's closed days, from the cheapest NonResponseDay grain."""
    kind = NONRESPONSE
    mask, _grain = kind.choose(set(rollups_read.active_filters(filters)))
    rows = rollups_read.closed_rows(NonResponseDay.objects.filter(grain=mask), filters, closed_end)
    sums = rollup_aggregates(kind)
    out = {}
    for row in rows.order_by().values("answered").annotate(**{f"s_{k}": v for k, v in sums.items()}):
        out[SIDES[0] if row["answered"] else SIDES[1]] = {k: row[f"s_{k}"] or 0 for k in sums}
    return out
