"""SurveyForm: one field per question, ranges per kind, display conditions decided on the server."""

import pytest
from crispy_forms.utils import render_crispy_form
from django.core.exceptions import ValidationError

from surveys import models as m
from surveys.answers import AnswerData
from surveys.designer_fields import (
    format_choice_lines,
    format_condition_values,
    parse_choice_lines,
    parse_condition_values,
)
from surveys.forms import SurveyForm
from tests.factories import QuestionFactory, QuestionnaireFactory

pytestmark = pytest.mark.django_db

REASONS = [
    {"value": "slow", "en": "Too slow", "zh-hans": "太慢"},
    {"value": "rude", "en": "Unfriendly", "zh-hans": "不友好"},
    {"value": "other", "en": "Something else", "zh-hans": ""},
]


@pytest.fixture
def questionnaire():
    return QuestionnaireFactory()


def add(questionnaire, key, kind, **fields):
    fields.setdefault("text", f"Question {key}")
    return QuestionFactory(questionnaire=questionnaire, key=key, kind=kind, **fields)


def survey_form(questionnaire, data=None, language="en"):
    return SurveyForm(data, questionnaire=questionnaire, language=language)


def answers_by_key(form) -> dict[str, AnswerData]:
    return {answer.question.key: answer for answer in form.answers()}


# --- ranges and values per kind -------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [
        (m.QuestionKind.NPS, 0, 10),
        (m.QuestionKind.CSAT, 1, 5),
        (m.QuestionKind.CES, 1, 7),
        (m.QuestionKind.RATING, 1, 5),
    ],
)
def test_scale_accepts_its_range_and_rejects_beyond_it(questionnaire, kind, low, high):
    add(questionnaire, "score", kind, required=True)

    for value in (low, high):
        form = survey_form(questionnaire, {"score": str(value)})
        assert form.is_valid(), form.errors
        assert answers_by_key(form)["score"].number == value
    for value in (low - 1, high + 1, "abc"):
        form = survey_form(questionnaire, {"score": str(value)})
        assert not form.is_valid()
        assert "score" in form.errors


def test_required_question_left_blank_is_an_error(questionnaire):
    add(questionnaire, "nps", m.QuestionKind.NPS, required=True)

    form = survey_form(questionnaire, {})

    assert not form.is_valid()
    assert form.errors["nps"] == ["This field is required."]


def test_optional_question_left_blank_gives_no_answer(questionnaire):
    add(questionnaire, "nps", m.QuestionKind.NPS, required=True)
    add(questionnaire, "csat", m.QuestionKind.CSAT, required=False)

    form = survey_form(questionnaire, {"nps": "10"})

    assert form.is_valid(), form.errors
    assert list(answers_by_key(form)) == ["nps"]


def test_single_choice_accepts_a_listed_value_only(questionnaire):
    add(questionnaire, "reason", m.QuestionKind.SINGLE_CHOICE, choices=REASONS, required=True)

    good = survey_form(questionnaire, {"reason": "rude"})
    bad = survey_form(questionnaire, {"reason": "billing"})

    assert good.is_valid(), good.errors
    assert answers_by_key(good)["reason"] == AnswerData(question=good.questions[0], choices=["rude"])
    assert not bad.is_valid()
    assert "reason" in bad.errors


def test_multi_choice_keeps_every_ticked_value_and_rejects_unknown_ones(questionnaire):
    add(questionnaire, "reasons", m.QuestionKind.MULTI_CHOICE, choices=REASONS)

    good = survey_form(questionnaire, {"reasons": ["slow", "other"]})
    bad = survey_form(questionnaire, {"reasons": ["slow", "nonsense"]})

    assert good.is_valid(), good.errors
    assert answers_by_key(good)["reasons"].choices == ["slow", "other"]
    assert answers_by_key(good)["reasons"].number is None
    assert not bad.is_valid()


def test_yes_no_is_stored_as_one_or_zero(questionnaire):
    add(questionnaire, "solved", m.QuestionKind.YES_NO, required=True)

    yes = survey_form(questionnaire, {"solved": "yes"})
    no = survey_form(questionnaire, {"solved": "no"})
    maybe = survey_form(questionnaire, {"solved": "maybe"})

    assert yes.is_valid() and no.is_valid()
    assert answers_by_key(yes)["solved"].number == 1
    assert answers_by_key(no)["solved"].number == 0
    assert not maybe.is_valid()


def test_complaint_question_is_a_single_optional_checkbox(questionnaire):
    add(questionnaire, "complain", m.QuestionKind.YES_NO, raises_complaint=True, required=True)

    ticked = survey_form(questionnaire, {"complain": "on"})
    unticked = survey_form(questionnaire, {})

    assert ticked.is_valid() and unticked.is_valid(), unticked.errors
    assert answers_by_key(ticked)["complain"].number == 1
    assert answers_by_key(unticked)["complain"].number == 0
    assert 'type="checkbox"' in str(ticked["complain"])


def test_free_text_is_stripped_and_limited_to_the_stored_maximum(questionnaire):
    add(questionnaire, "comment", m.QuestionKind.TEXT)

    ok = survey_form(questionnaire, {"comment": "  Quick and kind.  "})
    too_long = survey_form(questionnaire, {"comment": "x" * (m.TEXT_ANSWER_MAX + 1)})

    assert ok.is_valid()
    assert answers_by_key(ok)["comment"] == AnswerData(question=ok.questions[0], text="Quick and kind.")
    assert not too_long.is_valid()
    assert f'maxlength="{m.TEXT_ANSWER_MAX}"' in str(ok["comment"])


# --- display conditions ---------------------------------------------------------------------
@pytest.fixture
def conditional(questionnaire):
    add(questionnaire, "nps", m.QuestionKind.NPS, order=1, required=True)
    add(
        questionnaire,
        "wrong",
        m.QuestionKind.TEXT,
        order=2,
        required=True,
        condition_key="nps",
        condition_values=[str(n) for n in range(7)],
    )
    add(questionnaire, "comment", m.QuestionKind.TEXT, order=3)
    return questionnaire


def test_hidden_question_is_not_required(conditional):
    form = survey_form(conditional, {"nps": "9"})

    assert form.is_valid(), form.errors
    assert "wrong" not in form.cleaned_data
    assert form.visible_keys == {"nps", "comment"}


def test_answer_posted_for_a_hidden_question_is_dropped(conditional):
    form = survey_form(conditional, {"nps": "9", "wrong": "Everything", "comment": "Fine"})

    assert form.is_valid(), form.errors
    assert "wrong" not in form.cleaned_data
    assert set(answers_by_key(form)) == {"nps", "comment"}


def test_invalid_data_posted_for_a_hidden_question_is_ignored(questionnaire):
    add(questionnaire, "solved", m.QuestionKind.YES_NO, order=1, required=True)
    add(questionnaire, "effort", m.QuestionKind.CES, order=2, condition_key="solved", condition_values=["no"])

    form = survey_form(questionnaire, {"solved": "yes", "effort": "99"})

    assert form.is_valid(), form.errors
    assert "effort" not in form.cleaned_data


def test_shown_conditional_question_is_required_when_marked_so(conditional):
    form = survey_form(conditional, {"nps": "3"})

    assert not form.is_valid()
    assert form.errors["wrong"] == ["This field is required."]


def test_shown_conditional_question_is_answered(conditional):
    form = survey_form(conditional, {"nps": "6", "wrong": "It took a week."})

    assert form.is_valid(), form.errors
    assert answers_by_key(form)["wrong"].text == "It took a week."


def test_condition_on_an_unanswered_question_hides(conditional):
    conditional.questions.filter(key="nps").update(required=False)

    form = survey_form(conditional, {"wrong": "Something"})

    assert form.is_valid(), form.errors
    assert form.answers() == []


def test_question_depending_on_a_hidden_question_is_hidden_too(conditional):
    add(
        conditional,
        "why",
        m.QuestionKind.TEXT,
        order=4,
        required=True,
        condition_key="wrong",
        condition_values=["x"],
    )

    form = survey_form(conditional, {"nps": "10", "wrong": "x", "why": "because"})

    assert form.is_valid(), form.errors
    assert set(form.cleaned_data) == {"nps", "comment"}


def test_multi_choice_condition_matches_any_ticked_value(questionnaire):
    add(questionnaire, "reasons", m.QuestionKind.MULTI_CHOICE, order=1, choices=REASONS)
    add(
        questionnaire,
        "detail",
        m.QuestionKind.TEXT,
        order=2,
        condition_key="reasons",
        condition_values=["other"],
    )

    shown = survey_form(questionnaire, {"reasons": ["slow", "other"], "detail": "Lost my file"})
    hidden = survey_form(questionnaire, {"reasons": ["slow"], "detail": "Lost my file"})

    assert shown.is_valid() and hidden.is_valid()
    assert "detail" in answers_by_key(shown)
    assert "detail" not in answers_by_key(hidden)


def test_complaint_checkbox_condition_compares_yes_and_no(questionnaire):
    add(questionnaire, "complain", m.QuestionKind.YES_NO, order=1, raises_complaint=True)
    add(
        questionnaire,
        "what",
        m.QuestionKind.TEXT,
        order=2,
        required=True,
        condition_key="complain",
        condition_values=["yes"],
    )

    assert survey_form(questionnaire, {}).is_valid()
    ticked = survey_form(questionnaire, {"complain": "on"})
    assert not ticked.is_valid()
    assert "what" in ticked.errors


# --- labels, language and rendering ---------------------------------------------------------
def test_labels_follow_the_survey_language(questionnaire):
    add(questionnaire, "nps", m.QuestionKind.NPS, text="Recommend us?", text_zh_hans="推荐我们吗？")
    add(questionnaire, "reason", m.QuestionKind.SINGLE_CHOICE, choices=REASONS, text="Why?", text_zh_hans="")

    chinese = survey_form(questionnaire, language="zh-hans")
    english = survey_form(questionnaire, language="en")

    assert chinese.fields["nps"].label == "推荐我们吗？"
    assert chinese.fields["reason"].label == "Why?"  # no translation: English stands in
    assert dict(chinese.fields["reason"].choices) == {
        "slow": "太慢",
        "rude": "不友好",
        "other": "Something else",
    }
    assert english.fields["nps"].label == "Recommend us?"


def test_scale_labels_name_both_ends_of_each_scale(questionnaire):
    add(questionnaire, "nps", m.QuestionKind.NPS)
    add(questionnaire, "csat", m.QuestionKind.CSAT)
    add(questionnaire, "ces", m.QuestionKind.CES)

    form = survey_form(questionnaire)

    assert (form.fields["nps"].low_label, form.fields["nps"].high_label) == (
        "Not at all likely",
        "Extremely likely",
    )
    csat = [label for _, label in form.fields["csat"].choices]
    ces = [label for _, label in form.fields["ces"].choices]
    assert (csat[0], csat[-1], len(csat)) == ("Very dissatisfied", "Very satisfied", 5)
    assert (ces[0], ces[-1], len(ces)) == ("Very difficult", "Very easy", 7)


def test_nps_renders_as_eleven_buttons_in_a_fieldset_with_a_legend(conditional):
    html = render_crispy_form(survey_form(conditional))

    assert html.count('class="btn-check') == 11
    assert "<legend" in html and "Question nps" in html
    assert "Not at all likely" in html and "Extremely likely" in html
    assert 'data-condition-key="nps"' in html
    assert 'data-condition-values="[&quot;0&quot;, &quot;1&quot;' in html
    assert "data-counter-for=" in html


def test_designer_text_is_escaped_when_rendered(questionnaire):
    add(questionnaire, "nps", m.QuestionKind.NPS, text="<script>alert(1)</script>")

    html = render_crispy_form(survey_form(questionnaire))

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# --- the designer's text fields -------------------------------------------------------------
def test_choice_lines_parse_to_the_stored_list_and_back():
    text = "billing | Billing | 账单\n\n other | Something else "

    choices = parse_choice_lines(text)

    assert choices == [
        {"value": "billing", "en": "Billing", "zh-hans": "账单"},
        {"value": "other", "en": "Something else", "zh-hans": ""},
    ]
    assert format_choice_lines(choices) == "billing | Billing | 账单\nother | Something else"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bad value | Label", "Line 1: the value “bad value” may use only letters, digits, - and _."),
        ("a | A\nb", "Line 2 needs an English label."),
        ("a | A\na | Again", "Line 2 repeats the value “a”."),
        ("a | A | 甲 | extra", "Line 1 has more than three parts."),
    ],
)
def test_choice_lines_report_the_faulty_line(text, message):
    with pytest.raises(ValidationError) as caught:
        parse_choice_lines(text)

    assert message in caught.value.messages


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("0-6", ["0", "1", "2", "3", "4", "5", "6"]),
        ("0,1, 2", ["0", "1", "2"]),
        ("yes", ["yes"]),
        ("billing,other", ["billing", "other"]),
        ("9-10, 07", ["9", "10", "7"]),
        ("", []),
    ],
)
def test_condition_text_parses_to_strings(text, values):
    assert parse_condition_values(text) == values


@pytest.mark.parametrize("text", ["6-0", "0-500", "a b", "1;2"])
def test_condition_text_rejects_nonsense(text):
    with pytest.raises(ValidationError):
        parse_condition_values(text)


def test_condition_values_shown_back_in_the_text_form():
    assert format_condition_values([str(n) for n in range(7)]) == "0-6"
    assert format_condition_values(["0", "2", "3", "4", "9"]) == "0,2-4,9"
    assert format_condition_values(["yes"]) == "yes"
    assert format_condition_values(["billing", "other"]) == "billing,other"


def test_no_question_kind_brings_media_the_page_would_have_to_include(questionnaire):
    """The crispy layout leaves form media out (the survey page loads its own script): every
    kind's widget must have none, or that media would be lost."""
    for n, kind in enumerate(m.QuestionKind.values):
        fields = {"choices": REASONS} if kind in (m.QuestionKind.SINGLE_CHOICE, m.QuestionKind.MULTI_CHOICE) else {}
        add(questionnaire, f"q{n}", kind, **fields)
    add(questionnaire, "complaint", m.QuestionKind.YES_NO, raises_complaint=True)
    form = survey_form(questionnaire)
    assert len(form.fields) == len(m.QuestionKind.values) + 1
    assert str(form.media) == ""
    assert form.helper.include_media is False
