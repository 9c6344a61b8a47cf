"""Reads behind the Delighted-compatible API (select_related and filters decided here)."""

from django.db.models import Max, Min, Prefetch, Q

from ..models import Answer, Customer, InvitationStatus, Response
from ..reports.aggregates import survey_counts
from .params import Window


def _within(queryset, field: str, window: Window):
    if window.since is not None:
        queryset = queryset.filter(**{f"{field}__gte": window.since})
    if window.until is not None:
        queryset = queryset.filter(**{f"{field}__lte": window.until})
    return queryset


def responses_scored():
    """Responses with a score (NPS, CSAT or CES) recorded: what Delighted calls responses."""
    return Response.objects.filter(
        Q(nps_score__isnull=False) | Q(csat_score__isnull=False) | Q(ces_score__isnull=False)
    )


def responses_listed(
    *,
    created: Window,
    updated: Window,
    campaign_id: int | None,
    person_id: int | None,
    person_email: str | None,
    order: tuple[str, bool],
):
    """``survey_responses.json``: filtered and ordered (ties by id), with everything the
    Delighted shape reads fetched in four queries per page."""
    queryset = _within(_within(responses_scored(), "started_at", created), "updated_at", updated)
    if campaign_id is not None:
        queryset = queryset.filter(invitation__campaign_id=campaign_id)
    if person_id is not None:
        queryset = queryset.filter(invitation__customer_id=person_id)
    if person_email:
        queryset = queryset.filter(invitation__customer__email__iexact=person_email)
    field, descending = order
    sign = "-" if descending else ""
    return (
        queryset.select_related(
            "invitation__campaign",
            "invitation__customer",
            "invitation__ticket__team",
            "invitation__ticket__agent",
        )
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("question").order_by("question__order", "pk"),
            )
        )
        .order_by(f"{sign}{field}", f"{sign}pk")
    )


def nps_counts(*, window: Window, campaign_id: int | None) -> dict:
    """The NPS counts of the responses first recorded in the window (one query)."""
    queryset = _within(Response.objects.filter(nps_score__isnull=False), "started_at", window)
    if campaign_id is not None:
        queryset = queryset.filter(invitation__campaign_id=campaign_id)
    return survey_counts(queryset)[None]


def unsubscribed_customers(*, window: Window):
    """Opted-out customers who are not erased, oldest opt-out first."""
    queryset = Customer.objects.filter(opted_out_at__isnull=False, erased_at__isnull=True)
    return _within(queryset, "opted_out_at", window).order_by("opted_out_at", "pk")


def bounced_customers(*, window: Window):
    """Customers with an invitation email that failed for good (a permanent SMTP refusal or its
    tries used up), annotated with the latest such failure (``bounced_at``), oldest first."""
    failed = Q(invitations__status=InvitationStatus.FAILED)
    queryset = (
        Customer.objects.filter(erased_at__isnull=True)
        .filter(failed)
        .annotate(bounced_at=Max("invitations__updated_at", filter=failed))
    )
    return _within(queryset, "bounced_at", window).order_by("bounced_at", "pk")


def people_listed(*, window: Window, email: str | None):
    """``GET people.json``: customers who are not erased, oldest first, with when they were
    last sent a survey, last answered one and their next scheduled one (one query)."""
    queryset = Customer.objects.filter(erased_at__isnull=True)
    if email:
        queryset = queryset.filter(email__iexact=email)
    return (
        _within(queryset, "created_at", window)
        .annotate(
            last_sent_at=Max("invitations__last_sent_at"),
            last_responded_at=Max("invitations__response__started_at"),
            next_survey_scheduled_at=Min(
                "invitations__send_after", filter=Q(invitations__status=InvitationStatus.SCHEDULED)
            ),
        )
        .order_by("pk")
    )
