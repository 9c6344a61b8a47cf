"""Which Chinese texts a questionnaire or campaign lacks (reads only).

A blank ``*_zh_hans`` field falls back to English on the customer's page and in the email
(``Translated.tr``), silently. The designer's pages list these gaps as soon as the
questionnaire or campaign offers Chinese, that is has any Chinese text of its own; with none
at all it is English-only and the pages say so once instead of listing every field.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

ZH = "zh_hans"
_QUESTIONNAIRE_FIELDS = ("title", "intro", "thank_you")
_QUESTION_FIELDS = ("text", "help_text")
_CAMPAIGN_FIELDS = ("email_subject", "email_body")


@dataclass(frozen=True)
class ChineseGaps:
    offered: bool  # some Chinese text exists, so Chinese-speaking customers are meant to read it
    missing: list[str]  # what shows in English for them, in page order


def _field_gaps(obj, names, label) -> tuple[bool, list[str]]:
    offered, missing = False, []
    for name in names:
        if getattr(obj, f"{name}_{ZH}", "").strip():
            offered = True
        elif getattr(obj, name, "").strip():  # a blank English text has nothing to translate
            missing.append(label(str(obj._meta.get_field(name).verbose_name)))
    return offered, missing


def questionnaire_chinese_gaps(questionnaire, questions) -> ChineseGaps:
    """The Chinese gaps of ``questionnaire`` and its ``questions`` (in display order): titles,
    introduction, thank-you text, question and help texts, choice labels."""
    offered, missing = _field_gaps(
        questionnaire, _QUESTIONNAIRE_FIELDS, lambda field: _("Questionnaire: %s") % field
    )
    for position, question in enumerate(questions, start=1):

        def label(field, q=question, n=position):
            return _("Question %(n)s (%(key)s): %(field)s") % {"n": n, "key": q.key, "field": field}

        q_offered, q_missing = _field_gaps(question, _QUESTION_FIELDS, label)
        offered |= q_offered
        missing += q_missing
        for choice in question.choices or []:
            if not isinstance(choice, dict):
                continue
            if str(choice.get("zh-hans") or "").strip():
                offered = True
            elif str(choice.get("en") or "").strip():
                missing.append(label(_("choice “%s”") % choice["en"]))
    return ChineseGaps(offered=offered, missing=missing)


def campaign_chinese_gaps(campaign, questions) -> ChineseGaps:
    """The Chinese gaps of ``campaign``'s email (subject, text) and of its questionnaire."""
    offered, missing = _field_gaps(campaign, _CAMPAIGN_FIELDS, lambda field: _("Email: %s") % field)
    of_questionnaire = questionnaire_chinese_gaps(campaign.questionnaire, questions)
    return ChineseGaps(
        offered=offered or of_questionnaire.offered, missing=missing + of_questionnaire.missing
    )
