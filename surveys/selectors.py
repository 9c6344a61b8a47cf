"""Reads for views, admin and exports. select_related / prefetch decisions live here."""

import re


# --- admin lists ------------------------------------------------------------------------
def campaigns_with_invitation_counts(queryset):
    """Campaigns annotated with ``invitations_<status>`` for every invitation status.

    One GROUP BY query for the whole page, whatever the number of rows.
    """
    from django.db.models import Count, Q

    from .models import InvitationStatus

    return queryset.select_related("questionnaire").annotate(
        **{
            f"invitations_{status}": Count("invitations", filter=Q(invitations__status=status))
            for status in InvitationStatus.values
        }
    )


def campaigns_overlapping(campaign) -> list:
    """Other active ticket-closed campaigns that can match a ticket ``campaign`` matches, in
    the order they would claim it (priority, pk): their windows overlap and each of their four
    filters intersects this one's (an empty filter matches every value; case is ignored, as
    when tickets are matched). Empty when ``campaign`` is inactive or not saved. One query."""
    from .models import Campaign, CampaignTrigger

    if campaign.pk is None or not campaign.is_active or campaign.trigger != CampaignTrigger.TICKET_CLOSED:
        return []
    others = (
        Campaign.objects.filter(is_active=True, trigger=CampaignTrigger.TICKET_CLOSED)
        .exclude(pk=campaign.pk)
        .order_by("priority", "pk")
    )
    return [
        other
        for other in others
        if _windows_overlap(campaign, other)
        and all(
            _filter_intersects(getattr(campaign, name), getattr(other, name))
            for name in ("filter_categories", "filter_priorities", "filter_channels", "filter_segments")
        )
    ]


def _windows_overlap(a, b) -> bool:
    # Windows are [starts_at, ends_at) with None for no bound, as campaigns_matching reads them.
    return (a.starts_at is None or b.ends_at is None or a.starts_at < b.ends_at) and (
        b.starts_at is None or a.ends_at is None or b.starts_at < a.ends_at
    )


def _filter_intersects(a: list, b: list) -> bool:
    if not a or not b:
        return True
    return bool({str(v).casefold() for v in a} & {str(v).casefold() for v in b})


def teams_with_agent_counts(queryset):
    """Teams annotated with ``agent_count`` (one query for the page)."""
    from django.db.models import Count

    return queryset.annotate(agent_count=Count("agents"))


# --- questionnaires -----------------------------------------------------------------------
def questionnaire_questions(questionnaire) -> list:
    """The questionnaire's questions in display order (order, then id), one query."""
    from .models import Question

    return list(Question.objects.filter(questionnaire=questionnaire).order_by("order", "id"))


def _questions_cache_key(questionnaire_id: int) -> str:
    return f"survey-questions:v1:{questionnaire_id}"


def survey_questions(questionnaire) -> list:
    """``questionnaire_questions`` for the customer's survey page, through Django's cache.

    The entry is for one version of the questions: it is used only while the questionnaire's
    ``lineage`` and ``updated_at`` (which every question save or delete moves on) are the ones
    it was stored with, and a question's save or delete also drops it when the change commits
    (``signals.py``), so an edit shows on the next request. The cache fails open
    (``cache.py``): without Redis every request reads the questions. Kept on a figure
    (docs/benchmarks.md, issue 12 survey runs); ``SURVEY_QUESTIONS_CACHE_SECONDS=0`` turns it
    off. tests/survey/test_hot_path.py twins it with the query.
    """
    from django.conf import settings
    from django.core.cache import cache

    seconds = settings.SURVEY_QUESTIONS_CACHE_SECONDS
    if not seconds:
        return questionnaire_questions(questionnaire)
    key = _questions_cache_key(questionnaire.pk)
    version = (str(questionnaire.lineage), questionnaire.updated_at.isoformat())
    cached = cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    questions = questionnaire_questions(questionnaire)
    cache.set(key, (version, questions), seconds)
    return questions


def survey_questions_forget(questionnaire_id: int) -> None:
    """Drop the cached questions of a questionnaire (a question of it changed)."""
    from django.core.cache import cache

    cache.delete(_questions_cache_key(questionnaire_id))


def questionnaire_is_locked(questionnaire) -> bool:
    """True once any invitation of this questionnaire has a response: its questions are frozen."""
    from .models import Response

    if questionnaire is None or questionnaire.pk is None:
        return False
    return Response.objects.filter(invitation__questionnaire=questionnaire).exists()


def questionnaires_with_stats(queryset):
    """Questionnaires annotated with ``question_count`` and ``is_locked`` (one query for the page)."""
    from django.db.models import Count, Exists, OuterRef

    from .models import Response

    return queryset.annotate(
        question_count=Count("questions", distinct=True),
        is_locked=Exists(Response.objects.filter(invitation__questionnaire=OuterRef("pk"))),
    )


# --- the customer's survey page --------------------------------------------------------------
# new_token() makes 32 URL-safe characters; anything else is not worth a query.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Only what the survey page, its state checks and the answer services read: loading whole
# rows of four tables costs more than the query itself.
_INVITATION_FIELDS = (
    "token",
    "status",
    "language",
    "expires_at",
    "ticket_id",
    "customer_id",
    "resurvey_of_id",  # a re-survey's answer opens no follow-up case
    "campaign__is_active",
    "campaign__low_csat_is_complaint",
    "campaign__create_followups",
    "campaign__alert_recipients",
    "questionnaire__lineage",  # with updated_at, the version of its questions (survey_questions)
    "questionnaire__title",
    "questionnaire__title_zh_hans",
    "questionnaire__intro",
    "questionnaire__intro_zh_hans",
    "questionnaire__thank_you",
    "questionnaire__thank_you_zh_hans",
    "questionnaire__updated_at",
    "response__is_complete",
    "response__started_at",
    "response__nps_score",
)


def invitation_for_token(token: str, *, with_subscribers: bool = False):
    """The invitation behind a survey link, with its campaign, questionnaire and response; or None.

    One query. A token that cannot be one of ours is refused without asking the database.
    ``with_subscribers`` (a submit) also asks, in the same query, whether any outbound
    subscription is active (``has_subscribers``): the submit reads the subscriptions only then.
    """
    from django.db.models import Exists

    from .models import Invitation, WebhookSubscription

    if not TOKEN_RE.match(token):
        return None
    queryset = Invitation.objects.select_related("campaign", "questionnaire", "response").only(*_INVITATION_FIELDS)
    if with_subscribers:
        queryset = queryset.annotate(has_subscribers=Exists(WebhookSubscription.objects.filter(is_active=True)))
    # The token is unique: no ORDER BY (first() would add the model's ordering).
    return next(iter(queryset.filter(token=token).order_by()[:1]), None)
