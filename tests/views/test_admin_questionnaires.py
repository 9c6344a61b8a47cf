"""Questionnaire admin: roles, the question inline's rules, preview, clone and the lock."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys import models as m
from tests.factories import QuestionFactory, QuestionnaireFactory, ResponseFactory
from tests.views.questionnaire_admin import (
    ADD_URL,
    LIST_URL,
    NPS,
    REASON,
    WRONG,
    change_url,
    clone_url,
    inline_errors,
    preview_url,
    questionnaire_post,
)

pytestmark = pytest.mark.django_db


# --- who may do what ------------------------------------------------------------------------
def test_designer_adds_a_questionnaire_with_conditional_and_choice_questions(designer_client):
    response = designer_client.post(ADD_URL, questionnaire_post(NPS, WRONG, REASON))

    assert response.status_code == 302, inline_errors(response)
    questionnaire = m.Questionnaire.objects.get(title="After support")
    nps, wrong, reason = questionnaire.questions.order_by("order")
    assert (nps.key, nps.required) == ("nps", True)
    assert (wrong.condition_key, wrong.condition_values) == ("nps", ["0", "1", "2", "3", "4", "5", "6"])
    assert reason.choices == [
        {"value": "billing", "en": "Billing", "zh-hans": "账单"},
        {"value": "other", "en": "Something else", "zh-hans": ""},
    ]


def test_change_page_shows_choices_and_condition_in_the_typed_form(designer_client):
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, order=0, key="nps")
    QuestionFactory(
        questionnaire=questionnaire,
        order=1,
        key="reason",
        kind=m.QuestionKind.SINGLE_CHOICE,
        choices=[{"value": "billing", "en": "Billing", "zh-hans": "账单"}, {"value": "other", "en": "Other"}],
        condition_key="nps",
        condition_values=["0", "1", "2", "3", "9"],
    )

    response = designer_client.get(change_url(questionnaire))

    html = response.content.decode()
    assert "billing | Billing | 账单\nother | Other</textarea>" in html
    assert 'value="0-3,9"' in html


def test_designer_changes_a_question(designer_client):
    questionnaire = QuestionnaireFactory()
    question = QuestionFactory(questionnaire=questionnaire, order=0, key="nps", text="Old wording")

    data = questionnaire_post({**NPS, "id": str(question.pk), "text": "New wording"}, initial=1)
    response = designer_client.post(change_url(questionnaire), data)

    assert response.status_code == 302, inline_errors(response)
    question.refresh_from_db()
    assert question.text == "New wording"


def test_manager_can_view_but_not_add_or_change(manager_client):
    questionnaire = QuestionnaireFactory(title="Kept")
    QuestionFactory(questionnaire=questionnaire, key="nps")

    assert manager_client.get(LIST_URL).status_code == 200
    page = manager_client.get(change_url(questionnaire))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()
    assert "Clone as new version" not in page.content.decode()
    assert manager_client.get(ADD_URL).status_code == 403
    assert manager_client.post(ADD_URL, questionnaire_post(NPS)).status_code == 403
    manager_client.post(change_url(questionnaire), questionnaire_post(title="Changed"))
    questionnaire.refresh_from_db()
    assert questionnaire.title == "Kept"
    assert not m.Questionnaire.objects.filter(title="After support").exists()


def test_outsider_is_forbidden(outsider_client):
    questionnaire = QuestionnaireFactory()

    assert outsider_client.get(LIST_URL).status_code == 403
    assert outsider_client.get(change_url(questionnaire)).status_code == 403
    assert outsider_client.get(preview_url(questionnaire)).status_code == 403
    assert outsider_client.post(clone_url(questionnaire)).status_code == 403


def test_agent_who_is_not_staff_is_sent_to_the_login_page(agent_client):
    questionnaire = QuestionnaireFactory()

    for url in (LIST_URL, preview_url(questionnaire)):
        response = agent_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# --- the inline's rules ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("questions", "index", "field", "message"),
    [
        (
            [NPS, {**REASON, "choices": "billing | Billing"}],
            1,
            "choices",
            "A choice question needs at least two choices.",
        ),
        (
            [{**NPS, "choices": "a | A\nb | B"}],
            0,
            "choices",
            "Only single and multiple choice questions have choices.",
        ),
        (
            [{**REASON, "choices": "a | A\n b c | B"}],
            0,
            "choices",
            "Line 2: the value “b c” may use only letters, digits, - and _.",
        ),
        ([NPS, {**NPS, "text": "Again"}], 1, "key", "Another question already uses the key “nps”."),
        (
            [NPS, {**WRONG, "condition_key": "nope"}],
            1,
            "condition_key",
            "No question in this questionnaire has the key “nope”.",
        ),
        (
            [{**WRONG, "order": "0"}, {**NPS, "order": "1"}],
            0,
            "condition_key",
            "“nps” must come before this question (lower order).",
        ),
        (
            [
                {**WRONG, "condition_key": "", "condition_values": ""},
                {**REASON, "condition_key": "wrong", "condition_values": "x"},
            ],
            1,
            "condition_key",
            "A free-text answer cannot decide whether a question shows.",
        ),
        (
            [NPS, {**WRONG, "condition_values": "0-11"}],
            1,
            "condition_values",
            "“nps” cannot be answered with 11.",
        ),
        (
            [NPS, {**WRONG, "condition_values": ""}],
            1,
            "condition_values",
            "Say which answers show this question.",
        ),
        (
            [REASON, {**WRONG, "condition_key": "reason", "condition_values": "billing,bogus"}],
            1,
            "condition_values",
            "“reason” cannot be answered with bogus.",
        ),
        (
            [{**NPS, "raises_complaint": True}],
            0,
            "raises_complaint",
            "Only a yes/no question can raise a complaint.",
        ),
        (
            [{**WRONG, "condition_key": "", "condition_values": "", "dimension": "quality"}],
            0,
            "dimension",
            "Only NPS, CSAT, CES and rating questions have a dimension.",
        ),
    ],
)
def test_invalid_questions_are_refused_with_a_clear_message(
    designer_client, questions, index, field, message
):
    response = designer_client.post(ADD_URL, questionnaire_post(*questions))

    assert response.status_code == 200
    assert message in inline_errors(response)[index].get(field, [])
    assert not m.Questionnaire.objects.exists()


def test_yes_no_condition_accepts_yes(designer_client):
    solved = {"key": "solved", "kind": m.QuestionKind.YES_NO, "text": "Solved?"}
    why = {**WRONG, "condition_key": "solved", "condition_values": "no"}

    response = designer_client.post(ADD_URL, questionnaire_post(solved, why))

    assert response.status_code == 302, inline_errors(response)
    assert m.Question.objects.get(key="wrong").condition_values == ["no"]


def test_condition_may_point_at_an_earlier_question_listed_later_in_the_form(designer_client):
    response = designer_client.post(
        ADD_URL, questionnaire_post({**WRONG, "order": "5"}, {**NPS, "order": "1"})
    )

    assert response.status_code == 302, inline_errors(response)
    assert [q.key for q in m.Question.objects.order_by("order")] == ["nps", "wrong"]


def test_deleting_the_question_a_condition_depends_on_is_refused(designer_client):
    questionnaire = QuestionnaireFactory()
    nps = QuestionFactory(questionnaire=questionnaire, order=0, key="nps")
    wrong = QuestionFactory(
        questionnaire=questionnaire,
        order=1,
        key="wrong",
        kind=m.QuestionKind.TEXT,
        condition_key="nps",
        condition_values=["0"],
    )
    data = questionnaire_post(
        {**NPS, "id": str(nps.pk), "order": "0", "DELETE": True},
        {**WRONG, "id": str(wrong.pk), "order": "1", "condition_values": "0"},
        initial=2,
    )

    response = designer_client.post(change_url(questionnaire), data)

    assert response.status_code == 200
    assert inline_errors(response)[1]["condition_key"] == [
        "No question in this questionnaire has the key “nps”."
    ]
    assert questionnaire.questions.count() == 2


# --- list -----------------------------------------------------------------------------------
def test_list_shows_version_question_count_and_lock(designer_client):
    open_one = QuestionnaireFactory(title="Open one")
    QuestionFactory.create_batch(3, questionnaire=open_one)
    answered = QuestionnaireFactory(title="Answered one")
    ResponseFactory(invitation__campaign__questionnaire=answered)

    response = designer_client.get(LIST_URL)

    rows = {q.title: (q.version, q.question_count, q.is_locked) for q in response.context["cl"].result_list}
    assert rows == {"Open one": (1, 3, False), "Answered one": (1, 0, True)}


def test_list_query_count_does_not_grow_with_the_number_of_questionnaires(designer_client):
    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert designer_client.get(LIST_URL).status_code == 200
        return len(captured)

    QuestionnaireFactory.create_batch(2)
    few = queries_for_list()
    for questionnaire in QuestionnaireFactory.create_batch(10):
        QuestionFactory.create_batch(2, questionnaire=questionnaire)
        ResponseFactory(invitation__campaign__questionnaire=questionnaire)

    assert queries_for_list() == few
