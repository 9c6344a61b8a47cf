"""What the questionnaire admin's tests share: its URLs and the POST data of a questionnaire
with its question inline."""

from django.urls import reverse

from surveys import models as m

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
