"""questionnaire_clone and the lock selectors."""

import pytest

from surveys import models as m
from surveys.selectors import questionnaire_is_locked, questionnaire_questions, questionnaires_with_stats
from surveys.services.questionnaires import questionnaire_clone
from tests.factories import InvitationFactory, QuestionFactory, QuestionnaireFactory, ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    questionnaire = QuestionnaireFactory(title="After support", intro="Two minutes.", thank_you="Thanks!")
    QuestionFactory(questionnaire=questionnaire, order=1, key="nps", kind=m.QuestionKind.NPS, required=True)
    QuestionFactory(
        questionnaire=questionnaire,
        order=2,
        key="wrong",
        kind=m.QuestionKind.TEXT,
        text="What went wrong?",
        text_zh_hans="哪里出了问题？",
        condition_key="nps",
        condition_values=["0", "1", "2"],
    )
    QuestionFactory(
        questionnaire=questionnaire,
        order=3,
        key="reason",
        kind=m.QuestionKind.SINGLE_CHOICE,
        choices=[{"value": "a", "en": "A", "zh-hans": "甲"}, {"value": "b", "en": "B", "zh-hans": ""}],
        dimension="",
    )
    return questionnaire


def question_rows(questionnaire):
    fields = (
        "order",
        "key",
        "kind",
        "text",
        "text_zh_hans",
        "required",
        "choices",
        "condition_key",
        "condition_values",
    )
    return list(questionnaire.questions.order_by("order").values_list(*fields))


def test_clone_copies_every_question_with_its_condition(source):
    clone = questionnaire_clone(questionnaire=source)

    assert clone.pk != source.pk
    assert question_rows(clone) == question_rows(source)
    assert clone.questions.get(key="wrong").condition_values == ["0", "1", "2"]
    assert set(clone.questions.values_list("id", flat=True)).isdisjoint(
        source.questions.values_list("id", flat=True)
    )


def test_clone_is_the_next_version_of_the_same_lineage(source):
    clone = questionnaire_clone(questionnaire=source)

    clone.refresh_from_db()
    assert (clone.lineage, clone.version, clone.cloned_from_id) == (source.lineage, 2, source.pk)
    assert (clone.title, clone.intro, clone.thank_you) == ("After support", "Two minutes.", "Thanks!")


def test_cloning_an_old_version_takes_the_highest_version_plus_one(source):
    questionnaire_clone(questionnaire=source)

    third = questionnaire_clone(questionnaire=source)

    assert third.version == 3
    assert m.Questionnaire.objects.filter(lineage=source.lineage).count() == 3


def test_clone_leaves_the_source_untouched(source):
    before = question_rows(source)

    questionnaire_clone(questionnaire=source)

    source.refresh_from_db()
    assert source.version == 1
    assert question_rows(source) == before


def test_failed_clone_writes_nothing(source, monkeypatch):
    def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(m.Question.objects, "bulk_create", broken_bulk_create)

    with pytest.raises(RuntimeError):
        questionnaire_clone(questionnaire=source)

    assert m.Questionnaire.objects.filter(lineage=source.lineage).count() == 1


def test_questionnaire_is_locked_only_once_a_response_exists(source):
    invitation = InvitationFactory(campaign__questionnaire=source)
    assert not questionnaire_is_locked(source)

    ResponseFactory(invitation=invitation)

    assert questionnaire_is_locked(source)
    assert not questionnaire_is_locked(QuestionnaireFactory())


def test_stats_count_questions_and_flag_locked_questionnaires(source):
    empty = QuestionnaireFactory()
    ResponseFactory(invitation__campaign__questionnaire=source)

    rows = {
        q.pk: (q.question_count, q.is_locked)
        for q in questionnaires_with_stats(m.Questionnaire.objects.all())
    }

    assert rows == {source.pk: (3, True), empty.pk: (0, False)}


def test_questions_come_in_display_order(source):
    source.questions.filter(key="nps").update(order=9)

    assert [q.key for q in questionnaire_questions(source)] == ["wrong", "reason", "nps"]
