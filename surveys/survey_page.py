"""What the survey page needs around ``SurveyForm``: where each question sits, the error
summary, and the answers kept when a post is refused or the language is switched.

Pure functions over questions and forms; no queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django import forms


def display_order(questions: Sequence) -> list:
    """The questions as the page shows them: each conditional question directly after the one
    that opens it (after that one's earlier followers), everything else in its own order.

    A follow-up placed at the end of a long questionnaire appeared ~1,300 px below the score
    that opened it, where nobody was looking. Only an earlier question can open a condition
    (``SurveyForm.clean``), so a question naming a later or unknown key keeps its place, and
    every opener still comes before its followers.
    """
    position = {question.key: index for index, question in enumerate(questions)}
    followers: dict[str, list] = defaultdict(list)
    roots = []
    for index, question in enumerate(questions):
        opener = position.get(question.condition_key) if question.condition_key else None
        if opener is not None and opener < index:
            followers[question.condition_key].append(question)
        else:
            roots.append(question)
    ordered: list = []
    stack = list(reversed(roots))
    while stack:
        question = stack.pop()
        ordered.append(question)
        stack.extend(reversed(followers[question.key]))
    return ordered


@dataclass(frozen=True)
class SummaryEntry:
    """One line of the error summary: the field's first control, its label and the message."""

    anchor: str
    label: str
    message: str


def field_anchor(bound: forms.BoundField) -> str:
    """The id of the control a summary link moves to: a group's first option, else the field."""
    if isinstance(bound.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound.auto_id}_0"
    return bound.id_for_label


def error_summary(form: forms.Form) -> list[SummaryEntry]:
    """Every error of a bound form, in the order the page shows the fields; form-wide errors
    (no field to link to) first, with an empty anchor."""
    if not form.is_bound or not form.errors:
        return []
    entries = [SummaryEntry(anchor="", label="", message=str(error)) for error in form.non_field_errors()]
    for name in form.fields:
        bound = form[name]
        for error in bound.errors:
            entries.append(
                SummaryEntry(anchor=field_anchor(bound), label=str(bound.label), message=str(error))
            )
    return entries


def posted_values(form: forms.Form, data) -> dict:
    """What was posted for each field, as the field's initial value (nothing validated).

    A refused post (429) or a language switch renders the form again with these, so nothing
    typed is lost and no field is marked invalid for a mistake nobody made.
    """
    values = {}
    for name, field in form.fields.items():
        value = field.widget.value_from_datadict(data, {}, form.add_prefix(name))
        if value not in (None, "", []):
            values[name] = value
    return values
