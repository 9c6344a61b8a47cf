"""Dashboard sections beyond the headline figures: service levels, breaches, funnel, verbatims."""

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from ..models import (
    Answer,
    ImprovementAction,
    ImprovementStatus,
    Invitation,
    InvitationStatus,
    QuestionKind,
    SuppressionReason,
)
from .filters import ReportFilters

HOUR = 3600
# Histogram buckets of response and resolution times: (key, label, upper bound in seconds).
TIME_BUCKETS = [
    ("h1", _("≤ 1 h"), HOUR),
    ("h4", _("1–4 h"), 4 * HOUR),
    ("d1", _("4–24 h"), 24 * HOUR),
    ("d3", _("1–3 d"), 72 * HOUR),
    ("more", _("> 3 d"), None),
]
SCORE_BANDS = {
    "detractors": (_("Detractors (0–6)"), Q(response__nps_score__lte=6)),
    "passives": (_("Passives (7–8)"), Q(response__nps_score__in=(7, 8))),
    "promoters": (_("Promoters (9–10)"), Q(response__nps_score__gte=9)),
    "unhappy": (_("CSAT 1–2"), Q(response__csat_score__lte=2)),
}
VERBATIM_LIMIT = 50
BREACH_LIMIT = 25


def _histogram(column: str) -> dict:
    out, low = {}, None
    for key, _label, high in TIME_BUCKETS:
        q = Q(**{f"{column}__isnull": False})
        if low is not None:
            q &= Q(**{f"{column}__gt": low})
        if high is not None:
            q &= Q(**{f"{column}__lte": high})
        out[f"{column}_{key}"] = Count("pk", filter=q)
        low = high
    return out


def time_distributions(filters: ReportFilters, by: str) -> list[dict]:
    """Response and resolution time histograms per category or team. One query."""
    field, label = ("category", "category") if by == "category" else ("team_id", "team__name")
    rows = (
        filters.tickets()
        .order_by()
        .values(key=F(field), label=F(label))
        .annotate(n=Count("pk"), **_histogram("first_response_s"), **_histogram("resolution_s"))
        .order_by("-n")
    )
    out = []
    for row in rows:
        out.append(
            {
                "label": row["label"] or "—",
                "n": row["n"],
                "response": [row[f"first_response_s_{key}"] for key, _l, _h in TIME_BUCKETS],
                "resolution": [row[f"resolution_s_{key}"] for key, _l, _h in TIME_BUCKETS],
            }
        )
    return out


def breaches(filters: ReportFilters, limit: int = BREACH_LIMIT) -> list:
    """Tickets that missed a target, the largest overrun (in seconds) first. One query."""
    missed = Q(first_response_s__gt=F("sla_response_target_s")) | Q(
        resolution_s__gt=F("sla_resolution_target_s")
    )
    qs = filters.tickets().filter(missed).select_related("agent", "team")
    overrun = Greatest(
        Coalesce(F("first_response_s") - F("sla_response_target_s"), -1),
        Coalesce(F("resolution_s") - F("sla_resolution_target_s"), -1),
    )
    return list(qs.annotate(overrun_s=overrun).order_by("-overrun_s", "pk")[:limit])


def funnel(filters: ReportFilters, closed_tickets: int) -> dict:
    """Closed tickets → invited → suppressed (by reason) → sent → answered. One query.

    Counts the invitations of the period's closed tickets, whenever they were sent.
    """
    invitations = Invitation.objects.filter(ticket__in=filters.tickets().values("pk"))
    if filters.campaign:
        invitations = invitations.filter(campaign_id=filters.campaign)
    suppressed = InvitationStatus.SUPPRESSED
    counts = invitations.aggregate(
        invited=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        answered=Count("response"),
        **{
            f"suppressed_{reason}": Count("pk", filter=Q(status=suppressed, suppression_reason=reason))
            for reason in SuppressionReason.values
        },
    )
    reasons = [
        {"label": label, "n": counts[f"suppressed_{value}"]}
        for value, label in SuppressionReason.choices
        if counts[f"suppressed_{value}"]
    ]
    return {
        "closed": closed_tickets,
        "invited": counts["invited"],
        "suppressed": sum(r["n"] for r in reasons),
        "reasons": reasons,
        "sent": counts["sent"],
        "answered": counts["answered"],
    }


def verbatims(filters: ReportFilters, band: str = "", limit: int = VERBATIM_LIMIT) -> list:
    """Free-text answers of the period, newest first, with score, ticket and agent. One query."""
    qs = (
        Answer.objects.filter(kind=QuestionKind.TEXT, response__in=filters.responses().values("pk"))
        .exclude(text="")
        .select_related("response", "response__invitation__ticket__agent")
        .order_by("-response__started_at", "-pk")
    )
    if band in SCORE_BANDS:
        qs = qs.filter(SCORE_BANDS[band][1])
    return list(qs[:limit])


def improvement_actions(filters: ReportFilters, *, open_only: bool = False) -> list:
    """Actions started before the period ends and not finished before it began. One query."""
    still_open = Q(status__in=(ImprovementStatus.PLANNED, ImprovementStatus.IN_PROGRESS))
    qs = ImprovementAction.objects.filter(started_on__lt=filters.end).filter(
        Q(due_on__isnull=True) | Q(due_on__gte=filters.start) | still_open
    )
    if open_only:
        qs = qs.filter(still_open)
    return list(qs.select_related("owner").order_by("started_on"))
