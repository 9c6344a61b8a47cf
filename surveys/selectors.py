"""Reads for views, admin and exports. select_related / prefetch decisions live here."""


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


def teams_with_agent_counts(queryset):
    """Teams annotated with ``agent_count`` (one query for the page)."""
    from django.db.models import Count

    return queryset.annotate(agent_count=Count("agents"))


# --- questionnaires -----------------------------------------------------------------------
def questionnaire_questions(questionnaire) -> list:
    """The questionnaire's questions in display order (order, then id), one query."""
    from .models import Question

    return list(Question.objects.filter(questionnaire=questionnaire).order_by("order", "id"))


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
