"""Figures for the admin: campaign list columns, a campaign's figures and trend, and
per-question answer distributions. Each is a fixed number of queries, whatever the rows."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.template.loader import render_to_string

from ..models import Answer, QuestionKind
from ..selectors import questionnaire_questions
from . import formatting, metrics, snapshot
from .catalogue import METRICS
from .dashboard import tile_display
from .figures import summary, tiles, trend
from .filters import ReportFilters, site_today

WINDOW_DAYS = 30


def window(*, days: int = WINDOW_DAYS, today=None) -> ReportFilters:
    """The last ``days`` site-local days, today included: the dashboard's default period, so
    a campaign's 30-day n here is the n the dashboard shows for that campaign."""
    end = (today or site_today()) + timedelta(days=1)
    return ReportFilters(start=end - timedelta(days=days), end=end)


def campaigns_with_figures(queryset, *, days: int = WINDOW_DAYS, today=None):
    """Campaigns annotated with the counts behind NPS, CSAT, complaint and response rate.

    One GROUP BY query for the whole changelist page. Over ``window`` (whole site-local days,
    as the dashboard counts them — a rolling "now − 30 days" counted a few hours more):
    responses by their first-recorded time, invitations by their first send, tickets by
    closure. Complaints count the campaign's tickets that the helpdesk marked, or whose
    response in this campaign raised one.
    """
    low, high = window(days=days, today=today).bounds
    answered = Q(invitations__response__started_at__gte=low, invitations__response__started_at__lt=high)
    sent = Q(invitations__sent_at__gte=low, invitations__sent_at__lt=high)
    closed = Q(invitations__ticket__closed_at__gte=low, invitations__ticket__closed_at__lt=high) | Q(
        invitations__ticket__closed_at__isnull=True,
        invitations__ticket__resolved_at__gte=low,
        invitations__ticket__resolved_at__lt=high,
    )
    complaint = Q(invitations__ticket__is_complaint=True) | Q(invitations__response__is_complaint=True)
    score = "invitations__response__"
    return queryset.annotate(
        fig_promoters=Count("invitations", filter=answered & Q(**{f"{score}nps_score__gte": 9})),
        fig_passives=Count("invitations", filter=answered & Q(**{f"{score}nps_score__in": (7, 8)})),
        fig_detractors=Count("invitations", filter=answered & Q(**{f"{score}nps_score__lte": 6})),
        fig_csat_n=Count("invitations", filter=answered & Q(**{f"{score}csat_score__isnull": False})),
        fig_csat_ok=Count("invitations", filter=answered & Q(**{f"{score}csat_score__gte": 4})),
        fig_sent=Count("invitations", filter=sent),
        fig_sent_answered=Count("invitations__response", filter=sent),
        fig_tickets=Count("invitations__ticket", filter=closed, distinct=True),
        fig_complaints=Count("invitations__ticket", filter=closed & complaint, distinct=True),
    )


def campaign_row_figures(campaign) -> dict:
    """Figures (value, n) from the annotations of ``campaigns_with_figures``; no query."""
    p, pa, d = campaign.fig_promoters, campaign.fig_passives, campaign.fig_detractors
    return {
        "nps": (metrics.nps(p, pa, d), p + pa + d),
        "csat": (metrics.ratio_pct(campaign.fig_csat_ok, campaign.fig_csat_n), campaign.fig_csat_n),
        "complaint_rate": (
            metrics.ratio_pct(campaign.fig_complaints, campaign.fig_tickets),
            campaign.fig_tickets,
        ),
        "response_rate": (
            metrics.ratio_pct(campaign.fig_sent_answered, campaign.fig_sent),
            campaign.fig_sent,
        ),
    }


def campaign_detail(campaign, *, days: int = 90) -> dict:
    """A campaign's summary over the last ``days`` days and its weekly NPS and CSAT."""
    end = site_today() + timedelta(days=1)
    filters = ReportFilters(start=end - timedelta(days=days), end=end, campaign=campaign.pk)
    return {
        "filters": filters,
        "summary": summary(filters),
        "nps_trend": trend(filters, "nps", "week"),
        "csat_trend": trend(filters, "csat", "week"),
    }


def question_distributions(questionnaire) -> dict[int, list[tuple[str, int]]]:
    """``{question id: [(answer, count), …]}`` for scale, yes/no and choice questions.

    Two queries: numbers grouped in SQL; choice lists grouped by their stored value and
    split here (a multiple-choice answer counts once for each option picked).
    """
    answers = Answer.objects.filter(question__questionnaire=questionnaire).order_by()
    out: dict[int, dict] = defaultdict(dict)
    numbers = answers.filter(number__isnull=False).values_list("question_id", "kind", "number")
    for question_id, kind, number, n in numbers.annotate(n=Count("pk")).order_by("question_id", "number"):
        label = ("yes" if number else "no") if kind == QuestionKind.YES_NO else str(number)
        out[question_id][label] = n
    choices = answers.filter(kind__in=(QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE))
    for question_id, picked, n in choices.values_list("question_id", "choices").annotate(n=Count("pk")):
        for value in picked or []:
            out[question_id][str(value)] = out[question_id].get(str(value), 0) + n
    return {question_id: list(counts.items()) for question_id, counts in out.items()}


def distribution_rows(questionnaire) -> list[dict]:
    """The questionnaire's questions in order, each with its answers, counts and shares."""
    counts = question_distributions(questionnaire)
    rows = []
    for question in questionnaire_questions(questionnaire):
        answers = counts.get(question.pk, [])
        if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
            answers = [(question.choice_label(value, "en"), n) for value, n in answers]
        total = sum(n for _v, n in answers)
        rows.append(
            {
                "question": question,
                "total": total,
                "answers": [
                    {
                        "label": label,
                        "n": n,
                        "pct": 100 * n / total if total else 0,
                        "pct_display": formatting.value(100 * n / total if total else 0, "pct"),
                    }
                    for label, n in answers
                ],
            }
        )
    return rows


UNITS = {"nps": "score", "csat": "pct", "complaint_rate": "pct", "response_rate": "pct"}


def campaign_figure_display(campaign, key: str) -> str:
    """One changelist cell: the figure, or "—" with its n when the sample is too small."""
    value, n = campaign_row_figures(campaign)[key]
    if not metrics.shown(n, settings.REPORT_MIN_SAMPLE):
        return f"— (n={n})"
    return f"{formatting.value(value, UNITS[key])} (n={n})"


def campaign_detail_html(campaign) -> str:
    """The campaign change page's figures and weekly trend, as HTML (autoescaped template)."""
    if campaign is None or campaign.pk is None:
        return "—"
    with snapshot.report_transaction():  # one snapshot, the rollup state read once
        detail = campaign_detail(campaign)
        rows = [tile_display(t) for t in tiles(detail["filters"]) if t["spec"].key in METRICS]
    minimum = settings.REPORT_MIN_SAMPLE
    weeks = [
        {
            "bucket": nps["bucket"],
            "nps": nps,
            "csat": csat,
            "nps_display": formatting.value(nps["value"], "score") if nps["n"] >= minimum else "—",
            "csat_display": formatting.value(csat["value"], "pct") if csat["n"] >= minimum else "—",
        }
        for nps, csat in zip(detail["nps_trend"], detail["csat_trend"], strict=True)
    ]

    context = {"detail": detail, "tiles": rows, "weeks": weeks, "min_sample": settings.REPORT_MIN_SAMPLE}
    return render_to_string("reports/admin_campaign_figures.html", context)
