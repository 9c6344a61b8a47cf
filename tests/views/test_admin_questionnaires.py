"""Questionnaire admin: roles, the question inline's rules, preview, clone and the lock."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys import models as m
from tests.factories import QuestionFactory, QuestionnaireFactory, ResponseFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:surveys_questionnaire_add")
LIST_URL = reverse("admin:surveys_questionnaire_changelist")
PREFIX = "questions"


def change_url(questionnaire):
    return reverse("admin:surveys_questionnaire_change", args=[questionnaire.pk])


def preview_url(questionnaire, lang=None):
    url = reverse("admin:surveys_questionnaire_preview", args=[questionnaire.pk])
    return f"{url}?lang={lang}" if lang else url


def clone_url(questionnaire):
    return reverse("admin:surveys_questionnaire_clone", args=[questionnaire.pk])


def question_data(index, **fields):
    """POST fields of one inline question form, with harmless defaults."""
    values = {
        "id": "",
        "order": str(index),
        "key": f"q{index}",
        "kind": m.QuestionKind.NPS,
        "text": f"Question {index}",
        "text_zh_hans": "",
        "help_text": "",
        "help_text_zh_hans": "",
        "choices": "",
        "dimension": "",
        "condition_key": "",
        "condition_values": "",
    }
    values.update(fields)
    for flag in ("required", "raises_complaint", "DELETE"):
        if values.pop(flag, False):
            values[flag] = "on"
    return {f"{PREFIX}-{index}-{name}": value for name, value in values.items()}


def questionnaire_post(*questions, initial=0, **fields):
    data = {
        "title": "After support",
        "title_zh_hans": "",
        "intro": "",
        "intro_zh_hans": "",
        "thank_you": "",
        "thank_you_zh_hans": "",
        f"{PREFIX}-TOTAL_FORMS": str(len(questions)),
        f"{PREFIX}-INITIAL_FORMS": str(initial),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    for index, question in enumerate(questions):
        data.update(question_data(index, **question))
    return data


def inline_errors(response) -> list[dict]:
    return [dict(form.errors) for form in response.context["inline_admin_formsets"][0].formset.forms]


NPS = {
    "key": "nps",
    "kind": m.QuestionKind.NPS,
    "text": "How likely are you to recommend us?",
    "required": True,
}
WRONG = {
    "key": "wrong",
    "kind": m.QuestionKind.TEXT,
    "text": "What went wrong?",
    "condition_key": "nps",
    "condition_values": "0-6",
}
REASON = {
    "key": "reason",
    "kind": m.QuestionKind.SINGLE_CHOICE,
    "text": "What was it about?",
    "choices": "billing | Billing | 账单\nother | Something else",
}


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


# --- preview --------------------------------------------------------------------------------
@pytest.fixture
def designed():
    questionnaire = QuestionnaireFactory(
        title="After support", title_zh_hans="服务调查", intro="Two minutes."
    )
    QuestionFactory(
        questionnaire=questionnaire,
        order=0,
        key="nps",
        text="Recommend us?",
        text_zh_hans="推荐吗？",
        required=True,
    )
    QuestionFactory(
        questionnaire=questionnaire,
        order=1,
        key="wrong",
        kind=m.QuestionKind.TEXT,
        text="What went wrong?",
        condition_key="nps",
        condition_values=["0", "1", "2", "3", "4", "5", "6"],
    )
    return questionnaire


def test_preview_renders_the_questions_under_a_preview_banner(designer_client, designed):
    response = designer_client.get(preview_url(designed))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview — nothing you enter is recorded" in html
    assert "After support" in html and "Two minutes." in html
    assert "Recommend us?" in html and "What went wrong?" in html
    assert html.count('class="btn-check') == 11
    assert '<html lang="en">' in html


def test_preview_in_chinese_uses_the_chinese_texts(designer_client, designed):
    response = designer_client.get(preview_url(designed, lang="zh-hans"))

    html = response.content.decode()
    assert "服务调查" in html and "推荐吗？" in html
    assert '<html lang="zh-hans">' in html


def test_posting_the_preview_validates_and_records_nothing(designer_client, designed):
    invalid = designer_client.post(preview_url(designed), {})
    valid = designer_client.post(preview_url(designed), {"nps": "3", "wrong": "Slow."})

    assert "This field is required." in invalid.content.decode()
    assert "These answers would be accepted. Nothing was recorded." in valid.content.decode()
    assert not m.Response.objects.exists()
    assert not m.Answer.objects.exists()


def test_manager_may_preview(manager_client, designed):
    assert manager_client.get(preview_url(designed)).status_code == 200


def test_change_page_links_to_the_preview(designer_client, designed):
    html = designer_client.get(change_url(designed)).content.decode()

    assert f'href="{preview_url(designed, lang="en")}"' in html
    assert f'href="{preview_url(designed, lang="zh-hans")}"' in html


# --- clone ----------------------------------------------------------------------------------
def test_clone_button_makes_the_next_version_and_opens_it(designer_client, designed):
    response = designer_client.post(clone_url(designed), follow=True)

    clone = m.Questionnaire.objects.get(lineage=designed.lineage, version=2)
    assert response.redirect_chain == [(change_url(clone), 302)]
    assert "Created version 2 of “After support”" in response.content.decode()
    assert clone.cloned_from == designed
    copied = clone.questions.get(key="wrong")
    assert (copied.condition_key, copied.condition_values) == ("nps", [str(n) for n in range(7)])


def test_clone_needs_a_post_and_the_add_permission(designer_client, manager_client, designed):
    assert designer_client.get(clone_url(designed)).status_code == 405
    assert manager_client.post(clone_url(designed)).status_code == 403
    assert m.Questionnaire.objects.count() == 1


def test_clone_action_clones_the_selected_questionnaire(designer_client, designed):
    data = {"action": "clone_selected", "_selected_action": [str(designed.pk)]}

    response = designer_client.post(LIST_URL, data)

    clone = m.Questionnaire.objects.get(lineage=designed.lineage, version=2)
    assert response.status_code == 302
    assert response["Location"] == change_url(clone)
    assert clone.questions.count() == 2


# --- lock -----------------------------------------------------------------------------------
@pytest.fixture
def answered(designed):
    ResponseFactory(invitation__campaign__questionnaire=designed)
    return designed


def test_answered_questionnaire_shows_its_questions_read_only(designer_client, answered):
    response = designer_client.get(change_url(answered))

    html = response.content.decode()
    inline = response.context["inline_admin_formsets"][0]
    assert "This questionnaire has responses, so its questions are locked." in html
    assert "Clone it as a new version to change them." in html
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)
    assert f'name="{PREFIX}-0-text"' not in html
    assert "0-6" in html  # the condition, shown in the form designers type it
    assert 'name="title"' in html


def test_locked_questions_do_not_change_but_the_title_does(designer_client, answered):
    nps, wrong = answered.questions.order_by("order")
    data = questionnaire_post(
        {**NPS, "id": str(nps.pk), "order": "0", "text": "Tampered", "kind": m.QuestionKind.CSAT},
        {**WRONG, "id": str(wrong.pk), "order": "1", "DELETE": True},
        {"key": "extra", "text": "Sneaked in"},
        initial=2,
        title="Renamed",
    )

    response = designer_client.post(change_url(answered), data)

    assert response.status_code == 302
    answered.refresh_from_db()
    nps.refresh_from_db()
    assert answered.title == "Renamed"
    assert (nps.text, nps.kind) == ("Recommend us?", m.QuestionKind.NPS)
    assert sorted(answered.questions.values_list("key", flat=True)) == ["nps", "wrong"]


def test_unanswered_questionnaire_is_not_locked(designer_client, designed):
    html = designer_client.get(change_url(designed)).content.decode()

    assert "its questions are locked" not in html
    assert f'name="{PREFIX}-0-text"' in html
