"""TicketFact (surveys/models/rollups.py): one narrow row per reported ticket, written by the
rollup refresh (rollups_write.py) for the tickets that changed, or all of them on a rebuild."""

from django.db.models import BooleanField, Case, F, Q, Value, When

from ..models import Response, TicketFact
from .aggregates import fcr_q, sla_met, sla_missed_q, sla_overrun
from .grains import DurationBucket, local_day, ticket_moment


def _fact_columns() -> dict:
    """How a Ticket becomes a TicketFact row: the docs/metrics.md definitions, once per ticket."""
    complaint_response = Q(pk__in=Response.objects.filter(is_complaint=True).values("invitation__ticket_id"))
    resolved = Q(resolved_at__isnull=False)
    flag = lambda q: Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())  # noqa: E731
    return {
        "ticket": F("pk"),
        "day": local_day(ticket_moment()),
        "team": F("team_id"),
        "agent": F("agent_id"),
        "category": F("category"),
        "priority": F("priority"),
        "channel": F("channel"),
        "segment": F("customer__segment"),
        "complaint": flag(Q(is_complaint=True) | complaint_response),
        "resolved": flag(resolved),
        "fcr": flag(fcr_q()),
        "repeat": flag(resolved & (Q(contact_count__gt=1) | Q(reopen_count__gt=0))),
        "sla_response_met": sla_met("first_response_s", "sla_response_target_s"),
        "sla_resolution_met": sla_met("resolution_s", "sla_resolution_target_s"),
        "first_response_s": F("first_response_s"),
        "resolution_s": F("resolution_s"),
        "frt_bucket": DurationBucket(F("first_response_s")),
        "res_bucket": DurationBucket(F("resolution_s")),
        "overrun_s": Case(When(sla_missed_q(), then=sla_overrun()), default=Value(None)),
    }


def write(tickets, insert, select) -> int:
    """TicketFact rows for the reported ones of ``tickets`` (rollups_write's ``insert`` and
    ``select``: INSERT … SELECT, the rows never pass through Python)."""
    reported = Q(closed_at__isnull=False) | Q(resolved_at__isnull=False)
    columns = _fact_columns()
    return insert(TicketFact, list(columns), select(tickets.filter(reported), columns))
