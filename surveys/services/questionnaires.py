"""Writes for questionnaires: cloning an answered questionnaire into a new, editable version."""

from django.db import transaction

from surveys.models import Question, Questionnaire

# Everything a designer typed; identity, lineage and timestamps are set by the clone itself.
QUESTIONNAIRE_COPIED_FIELDS = (
    "title",
    "title_zh_hans",
    "intro",
    "intro_zh_hans",
    "thank_you",
    "thank_you_zh_hans",
)
QUESTION_COPIED_FIELDS = (
    "order",
    "key",
    "kind",
    "text",
    "text_zh_hans",
    "help_text",
    "help_text_zh_hans",
    "required",
    "choices",
    "dimension",
    "condition_key",
    "condition_values",
    "raises_complaint",
)


@transaction.atomic
def questionnaire_clone(*, questionnaire: Questionnaire) -> Questionnaire:
    """Copy ``questionnaire`` and all its questions into the next version of its lineage.

    The copy keeps the lineage, takes version = highest version in the lineage + 1 and points
    ``cloned_from`` at the source. It runs in one transaction: either the new version exists
    with every question (conditions included), or nothing was written. The source is left
    untouched, so its responses keep pointing at the questions they answered.
    """
    # Lock the lineage so two simultaneous clones cannot both pick the same next version
    # (on SQLite the IMMEDIATE transaction already serialises writers).
    versions = list(
        Questionnaire.objects.select_for_update()
        .filter(lineage=questionnaire.lineage)
        .values_list("version", flat=True)
    )
    clone = Questionnaire(
        lineage=questionnaire.lineage,
        version=max(versions, default=questionnaire.version) + 1,
        cloned_from=questionnaire,
        **{name: getattr(questionnaire, name) for name in QUESTIONNAIRE_COPIED_FIELDS},
    )
    clone.full_clean()
    clone.save()
    source_questions = Question.objects.filter(questionnaire=questionnaire).order_by("order", "id")
    # Copies of rows that already passed validation; one INSERT instead of one per question.
    Question.objects.bulk_create(
        Question(questionnaire=clone, **{name: getattr(q, name) for name in QUESTION_COPIED_FIELDS})
        for q in source_questions
    )
    return clone
