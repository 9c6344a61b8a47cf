"""Dashboard sections beyond the headline figures: service levels, breaches, funnel, verbatims."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..models import (
    COMMENT,
    Answer,
    ImprovementAction,
    ImprovementStatus,
    SuppressionReason,
)
from . import metrics, rollups_read
from .counts import breach_tickets, counts
from .filters import FilterError, ReportFilters

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
VERBATIM_PAGE_SIZE = 20
VERBATIM_MAX_PAGE = 10_000  # keeps the OFFSET a plain bounded number
VERBATIM_QUERY_MAX = 200
BREACH_LIMIT = 25


def time_distributions(filters: ReportFilters, by: str) -> list[dict]:
    """Response and resolution time histograms per category or team. One query."""
    dim = "category" if by == "category" else "team"
    wanted = ("tickets", *(f"{m}_{b}" for m in ("frt", "res") for b, _label in TIME_BUCKETS))
    found = counts("ticket", filters, (dim,), labels=dim == "team", histogram=True, only=wanted)
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


def verbatim_params(params) -> tuple[str, int]:
    """The comment search ``q`` and the ``page`` number from a query string; FilterError if bad."""
    q = params.get("q", "").strip()
    errors = {}
    if len(q) > VERBATIM_QUERY_MAX:
        errors["q"] = [_("Search for at most %(n)d characters.") % {"n": VERBATIM_QUERY_MAX}]
    raw = params.get("page", "") or "1"
    page = int(raw) if raw.isascii() and raw.isdigit() else 0
    if not 1 <= page <= VERBATIM_MAX_PAGE:
        errors["page"] = [_("The page must be a whole number from 1 to %(n)d.") % {"n": VERBATIM_MAX_PAGE}]
    if errors:
        raise FilterError({k: [str(m) for m in v] for k, v in errors.items()})
    return q, page


def verbatim_page(filters: ReportFilters, band: str = "", *, q: str = "", page: int = 1) -> dict:
    """One page of comments (VERBATIM_PAGE_SIZE), those containing ``q`` in any case.

    One query and no COUNT: a row past the page is read only to know whether there is a next.
    """
    offset = (page - 1) * VERBATIM_PAGE_SIZE
    rows = verbatims(filters, band, offset + VERBATIM_PAGE_SIZE + 1, q=q, offset=offset)
    return {
        "rows": rows[:VERBATIM_PAGE_SIZE],
        "q": q,
        "page": page,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if len(rows) > VERBATIM_PAGE_SIZE else None,
    }


# What a comment's row shows (reports/dashboard.html, reports/my_scores.html): four joined rows'
# other columns (a ticket has forty) are neither read nor converted.
VERBATIM_FIELDS = (
    "text",
    "response__started_at",
    "response__nps_score",
    "response__csat_score",
    "response__invitation__ticket__reference",
    "response__invitation__ticket__external_id",
    "response__invitation__ticket__agent__name",
)


def verbatims(
    filters: ReportFilters, band: str = "", limit: int = VERBATIM_LIMIT, *, q: str = "", offset: int = 0
) -> list:
    """Free-text answers of the period, newest first, with score, ticket and agent. One query.

    The page is chosen in a subquery that joins the responses alone: the database walks the
    responses' started_at index from the newest, looks each one up in the comments' partial
    index (answer_comment_idx) and stops at the page; only the page's rows are then joined to
    their invitation, ticket and agent. The period is a condition on the joined response (not
    only inside ``response__in``): SQLite otherwise reads every response of the period and
    sorts them (0.9 s at 100,000)."""
    low, high = filters.bounds
    page = Answer.objects.filter(
        COMMENT, response__started_at__gte=low, response__started_at__lt=high
    )
    if rollups_read.active_filters(filters):
        page = page.filter(response__in=filters.responses().values("pk"))
    if band in SCORE_BANDS:
        page = page.filter(SCORE_BANDS[band][1])
    if q:
        page = page.filter(text__icontains=q)
    newest_first = ("-response__started_at", "-pk")
    page = page.order_by(*newest_first).values("pk")[offset:limit]
    rows = Answer.objects.filter(pk__in=page).select_related("response", "response__invitation__ticket__agent")
    return list(rows.order_by(*newest_first).only(*VERBATIM_FIELDS))


def improvement_actions(filters: ReportFilters) -> list:
    """Actions started before the period ends and not finished before it began. One query."""
    still_open = Q(status__in=(ImprovementStatus.PLANNED, ImprovementStatus.IN_PROGRESS))
    qs = ImprovementAction.objects.filter(started_on__lt=filters.end).filter(
        Q(due_on__isnull=True) | Q(due_on__gte=filters.start) | still_open
    )
    return list(qs.select_related("owner", "team", "campaign").order_by("started_on", "pk"))
