"""Dashboard sections beyond the headline figures: service levels, breaches, funnel, verbatims."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .. import metrics
from ..models import (
    Answer,
    ImprovementAction,
    ImprovementStatus,
    QuestionKind,
    SuppressionReason,
)
from .counts import breach_tickets, counts
from .filters import ReportFilters

# Histogram buckets of response and resolution times: (key, label, upper bound in seconds).
TIME_LABELS = {"h1": _("≤ 1 h"), "h4": _("1–4 h"), "d1": _("4–24 h"), "d3": _("1–3 d"), "more": _("> 3 d")}
TIME_BUCKETS = [(key, TIME_LABELS[key]) for key, _high in metrics.TIME_LIMITS]
SCORE_BANDS = {
    "detractors": (_("Detractors (0–6)"), Q(response__nps_score__lte=6)),
    "passives": (_("Passives (7–8)"), Q(response__nps_score__in=(7, 8))),
    "promoters": (_("Promoters (9–10)"), Q(response__nps_score__gte=9)),
    "unhappy": (_("CSAT 1–2"), Q(response__csat_score__lte=2)),
}
VERBATIM_LIMIT = 50
BREACH_LIMIT = 25


def time_distributions(filters: ReportFilters, by: str) -> list[dict]:
    """Response and resolution time histograms per category or team. One query."""
    dim = "category" if by == "category" else "team"
    found = counts("ticket", filters, (dim,), labels=dim == "team", histogram=True)
    out = []
    for key, c in found.items():
        label = key[-1]
        out.append(
            {
                "label": label or "—",
                "n": c["tickets"],
                "response": [c[f"frt_{b}"] for b, _label in TIME_BUCKETS],
                "resolution": [c[f"res_{b}"] for b, _label in TIME_BUCKETS],
            }
        )
    out.sort(key=lambda row: -row["n"])
    return out


def breaches(filters: ReportFilters, limit: int = BREACH_LIMIT) -> list:
    """Tickets that missed a target, the largest overrun (in seconds) first. One query."""
    return breach_tickets(filters, limit)


def funnel(filters: ReportFilters, closed_tickets: int) -> dict:
    """Closed tickets → invited → suppressed (by reason) → sent → answered. One query.

    Counts the invitations of the period's closed tickets, whenever they were sent.
    """
    by_reason = {key[0]: c for key, c in counts("funnel", filters).items()}
    totals = {name: sum(c[name] for c in by_reason.values()) for name in ("invited", "sent", "answered")}
    reasons = [
        {"label": label, "n": by_reason[value]["invited"]}
        for value, label in SuppressionReason.choices
        if by_reason.get(value, {}).get("invited")
    ]
    return {
        "closed": closed_tickets,
        "invited": totals["invited"],
        "suppressed": sum(r["n"] for r in reasons),
        "reasons": reasons,
        "sent": totals["sent"],
        "answered": totals["answered"],
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


def improvement_actions(filters: ReportFilters) -> list:
    """Actions started before the period ends and not finished before it began. One query."""
    still_open = Q(status__in=(ImprovementStatus.PLANNED, ImprovementStatus.IN_PROGRESS))
    qs = ImprovementAction.objects.filter(started_on__lt=filters.end).filter(
        Q(due_on__isnull=True) | Q(due_on__gte=filters.start) | still_open
    )
    return list(qs.select_related("owner", "team", "campaign").order_by("started_on", "pk"))
