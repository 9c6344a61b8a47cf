"""The customer's survey form (the designer's text fields are in ``designer_fields``).

``SurveyForm`` is built from a questionnaire's questions for one language. Display conditions
are decided on the server in ``clean()``; the page script only mirrors them for comfort.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys.answers import AnswerData
from surveys.fragments import QuestionBlock, StaticHTML
from surveys.models import SCALE_RANGES, TEXT_ANSWER_MAX, Language, Question, QuestionKind, Questionnaire
from surveys.selectors import questionnaire_questions
from surveys.survey_page import SummaryEntry, display_order, error_summary

NPS_ENDS = (_("Not at all likely"), _("Extremely likely"))
CSAT_LABELS = (
    _("Very dissatisfied"),
    _("Dissatisfied"),
    _("Neither satisfied nor dissatisfied"),
    _("Satisfied"),
    _("Very satisfied"),
)
CES_LABELS = (
    _("Very difficult"),
    _("Difficult"),
    _("Somewhat difficult"),
    _("Neither easy nor difficult"),
    _("Somewhat easy"),
    _("Easy"),
    _("Very easy"),
)
YES, NO = "yes", "no"
BUTTON_TEMPLATE = "surveys/crispy/button_scale.html"
TEXT_TEMPLATE = "surveys/crispy/text_field.html"
CHOICE_TEMPLATE = "surveys/crispy/choice_group.html"
SAVE_SCORE_HTML = '{% include "surveys/crispy/save_score.html" %}'


class ScaleField(forms.TypedChoiceField):
    """A row of buttons; ``kind`` picks the look, ``ends`` labels the two ends of the row."""

    def __init__(self, *, kind: str, ends: tuple[str, str] = ("", ""), **kwargs):
        # The widget's class, not an instance: Field deep-copies an instance for every field.
        super().__init__(widget=forms.RadioSelect, **kwargs)
        self.widget.attrs["class"] = "btn-check"
        self.kind = kind
        self.low_label, self.high_label = ends

    def get_bound_field(self, form, field_name):
        return ScaleBoundField(form, self, field_name)


class ScaleBoundField(forms.BoundField):
    """Lists its buttons as plain tuples: rendering a widget per button costs more than the page."""

    def options(self) -> list[tuple[str, str, str, bool]]:
        """``(id, value, label, checked)`` per button, in order."""
        current = self.value()
        chosen = "" if current is None else str(current)
        return [
            (f"{self.auto_id}_{n}", str(value), str(label), str(value) == chosen)
            for n, (value, label) in enumerate(self.field.choices)
        ]


def _is_empty(value) -> bool:
    return value is None or value == "" or value == []


class SurveyForm(forms.Form):
    """One field per question, named by its key, labelled in ``language``.

    Questions whose display condition is not met are neither required nor returned, whatever
    was posted for them. Call ``answers()`` after ``is_valid()`` for what to store.

    Fields come in display order (``survey_page.display_order``: a follow-up right after the
    question that opens it). Required is said by ``aria-required`` and the asterisk, never by
    the HTML ``required`` attribute: with it Chromium announces every empty required field as
    invalid on a fresh page, before the customer has done anything.
    """

    use_required_attribute = False

    def __init__(
        self,
        *args,
        questionnaire: Questionnaire,
        language: str,
        questions: Sequence[Question] | None = None,
        score_button: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if questions is None:
            questions = questionnaire_questions(questionnaire)
        self.questionnaire = questionnaire
        self.language = language if language in Language.values else Language.EN
        self.questions = list(questions)
        self.visible_keys: set[str] = set()
        self.score_button = score_button
        # False for a form showing answers a customer typed: its HTML is not kept (fragments.py).
        self.cacheable = True
        self.shown_questions = display_order(self.questions)
        # Labels are fixed in the survey's language now, whatever language the page runs in.
        with translation.override(self.language):
            for question in self.shown_questions:
                field = self.fields[question.key] = self._field_for(question)
                # Must be answered when shown: a required follow-up's field is not "required".
                field.must_answer = question.required and not isinstance(field, forms.BooleanField)

    @cached_property
    def helper(self) -> FormHelper:
        """The crispy layout, built when the page is rendered (a valid submit never is)."""
        return self._helper()

    def _field_for(self, question: Question) -> forms.Field:
        kind = question.kind
        common = {
            "label": question.tr("text", self.language),
            "help_text": question.tr("help_text", self.language),
            # A conditional question is required only when shown; clean() checks that.
            "required": question.required and not question.condition_key,
        }
        if kind == QuestionKind.NPS:
            choices = [(n, str(n)) for n in range(11)]
            return ScaleField(
                kind=kind, ends=tuple(str(e) for e in NPS_ENDS), choices=choices, coerce=int, **common
            )
        if kind in (QuestionKind.CSAT, QuestionKind.CES):
            labels = CSAT_LABELS if kind == QuestionKind.CSAT else CES_LABELS
            choices = [(n, str(label)) for n, label in enumerate(labels, start=1)]
            return ScaleField(kind=kind, choices=choices, coerce=int, **common)
        if kind == QuestionKind.RATING:
            choices = [(n, ngettext("%(n)s star", "%(n)s stars", n) % {"n": n}) for n in range(1, 6)]
            return ScaleField(kind=kind, choices=choices, coerce=int, **common)
        if kind == QuestionKind.YES_NO and question.raises_complaint:
            # A lone checkbox: unticked means "no", so it can never be required.
            return forms.BooleanField(**{**common, "required": False})
        if kind == QuestionKind.YES_NO:
            return ScaleField(kind=kind, choices=[(YES, str(_("Yes"))), (NO, str(_("No")))], **common)
        labelled = [(c["value"], question.choice_label(c["value"], self.language)) for c in question.choices]
        if kind == QuestionKind.SINGLE_CHOICE:
            return forms.ChoiceField(choices=labelled, widget=forms.RadioSelect, **common)
        if kind == QuestionKind.MULTI_CHOICE:
            return forms.MultipleChoiceField(choices=labelled, widget=forms.CheckboxSelectMultiple, **common)
        attrs = {"rows": 4, "class": "form-control"}
        if question.required:
            attrs["aria-required"] = "true"
        # The character counter under the box describes it, after the help text
        # (crispy/text_field.html); an error message is added when the form is shown with one.
        described = [f"id_{question.key}_helptext"] if common["help_text"] else []
        attrs["aria-describedby"] = " ".join([*described, f"id_{question.key}_counter"])
        return forms.CharField(
            max_length=TEXT_ANSWER_MAX, widget=forms.Textarea(attrs=attrs), strip=True, **common
        )

    @property
    def any_required(self) -> bool:
        """Whether the page must explain the asterisk."""
        return any(getattr(field, "must_answer", False) for field in self.fields.values())

    def error_summary(self) -> list[SummaryEntry]:
        """What the summary above a failed form lists (``survey_page.error_summary``)."""
        return error_summary(self)

    def _helper(self) -> FormHelper:
        helper = FormHelper()
        # The page template owns the <form> tag, the CSRF token and the buttons.
        helper.form_tag = False
        helper.disable_csrf = True
        # No widget here has media; the page loads its one script itself (survey.html).
        helper.include_media = False
        blocks = []
        for question in self.shown_questions:
            if isinstance(self.fields[question.key], ScaleField):
                inner = Field(question.key, template=BUTTON_TEMPLATE)
            elif question.kind == QuestionKind.TEXT:
                inner = Field(question.key, template=TEXT_TEMPLATE)
            elif question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
                inner = Field(question.key, template=CHOICE_TEMPLATE)
            else:
                inner = Field(question.key)
            # data-label: what the page script announces when this question appears.
            attrs = {
                "data_question": question.key,
                "data_kind": question.kind,
                "data_label": question.tr("text", self.language),
            }
            if question.condition_key:
                attrs["data_condition_key"] = question.condition_key
                attrs["data_condition_values"] = json.dumps(question.condition_values)
            blocks.append(QuestionBlock(inner, question=question, css_class="survey-question", **attrs))
            if self.score_button and len(blocks) == 1 and question.kind in SCALE_RANGES:
                # Without JavaScript the one-click score is saved by this button.
                blocks.append(StaticHTML(SAVE_SCORE_HTML))
        helper.layout = Layout(*blocks)
        return helper

    @staticmethod
    def answer_tokens(question: Question, value) -> set[str]:
        """The strings a display condition compares against (numbers as str, yes/no, choice values)."""
        if _is_empty(value):
            return set()
        if question.kind == QuestionKind.MULTI_CHOICE:
            return {str(v) for v in value}
        if isinstance(value, bool):
            return {YES if value else NO}
        return {str(value)}

    def _is_shown(self, question: Question, cleaned: dict) -> bool:
        if not question.condition_key:
            return True
        # Only an earlier, itself visible question can open a condition (questions are in order).
        if question.condition_key not in self.visible_keys:
            return False
        controller = next(q for q in self.questions if q.key == question.condition_key)
        given = self.answer_tokens(controller, cleaned.get(controller.key))
        return bool(given & {str(v) for v in question.condition_values})

    def clean(self):
        cleaned = super().clean()
        self.visible_keys = set()
        for question in self.questions:
            key = question.key
            if not self._is_shown(question, cleaned):
                cleaned.pop(key, None)
                # Whatever was posted for a hidden question is ignored, errors included.
                self.errors.pop(key, None)
                continue
            self.visible_keys.add(key)
            answered = not _is_empty(cleaned.get(key)) or key in self.errors
            if question.condition_key and question.required and not answered:
                self.add_error(key, self.fields[key].error_messages["required"])
        return cleaned

    def answers(self) -> list[AnswerData]:
        """The visible questions' answers, in question order; unanswered optional ones are left out."""
        result = []
        for question in self.questions:
            if question.key not in self.visible_keys:
                continue
            value = self.cleaned_data.get(question.key)
            if _is_empty(value):
                continue
            if question.kind == QuestionKind.MULTI_CHOICE:
                result.append(AnswerData(question=question, choices=list(value)))
            elif question.kind == QuestionKind.SINGLE_CHOICE:
                result.append(AnswerData(question=question, choices=[value]))
            elif question.kind == QuestionKind.TEXT:
                result.append(AnswerData(question=question, text=value))
            elif question.kind == QuestionKind.YES_NO:
                result.append(AnswerData(question=question, number=int(value in (True, YES))))
            else:
                result.append(AnswerData(question=question, number=int(value)))
        return result


def answer_display(question: Question, *, number: int | None, choices: list, text: str, language: str) -> str:
    """An answer as the customer saw it: a scale's label with its number, choice labels, text."""
    with translation.override(language):
        if question.kind in (QuestionKind.CSAT, QuestionKind.CES) and number is not None:
            labels = CSAT_LABELS if question.kind == QuestionKind.CSAT else CES_LABELS
            return f"{number} – {labels[number - 1]}" if 1 <= number <= len(labels) else str(number)
        if question.kind == QuestionKind.YES_NO:
            return str(_("Yes") if number == 1 else _("No"))
        if question.kind == QuestionKind.RATING and number is not None:
            return ngettext("%(n)s star", "%(n)s stars", number) % {"n": number}
        if number is not None:
            return str(number)
        if choices:
            return ", ".join(question.choice_label(c, language) for c in choices)
        return text


def answer_initial(question: Question, *, number: int | None, choices: list, text: str):
    """A stored answer as the form field's initial value (the inverse of ``answers()``)."""
    if question.kind == QuestionKind.YES_NO:
        yes = number == 1
        return yes if question.raises_complaint else (YES if yes else NO)
    if question.kind == QuestionKind.MULTI_CHOICE:
        return list(choices)
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return choices[0] if choices else None
    if question.kind == QuestionKind.TEXT:
        return text
    return number
