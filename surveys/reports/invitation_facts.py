"""InvitationFact (surveys/models/rollups.py): one narrow row per sent invitation, written with
the invitation rollups, read by the non-response check (nonresponse.py) for the closed days.

``write`` recomputes the rows of some days of first send (None: all), from the source rows;
``closed_counts`` and ``closed_rows`` read them as nonresponse.py reads the source.
"""

from datetime import date

from django.db.models import BooleanField, Case, Count, F, FloatField, Q, Sum, Value, When
from django.db.models.functions import Cast

from ..models.rollups import InvitationFact
from .aggregates import fcr_q, sla_met
from .grains import local_day

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
    rows = InvitationFact.objects.all()
    (rows if days is None else rows.filter(day__in=days)).delete()


def side_q(side: str) -> Q:
    return Q(answered=side == "answered")


def fact_aggregates() -> dict:
    """nonresponse._aggregates over InvitationFact rows (no median)."""
    resolution = Cast(F("resolution_s"), FloatField())
    out = {}
    for side in SIDES:
        q = side_q(side)
        has_time = q & Q(resolution_s__isnull=False)
        out |= {
            f"{side}_n": Count("pk", filter=q),
            f"{side}_resolved": Count("pk", filter=q & Q(resolved=True)),
            f"{side}_fcr": Count("pk", filter=q & Q(fcr=True)),
            f"{side}_sla_n": Count("pk", filter=has_time & Q(sla_resolution_met__isnull=False)),
            f"{side}_sla_met": Count("pk", filter=q & Q(sla_resolution_met=True)),
            f"{side}_res_n": Count("pk", filter=has_time),
            f"{side}_res_sum": Sum(resolution, filter=has_time),
            f"{side}_res_sq": Sum(resolution * resolution, filter=has_time, output_field=FloatField()),
        }
    return out
