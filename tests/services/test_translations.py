"""Missing Chinese translations: listed once Chinese is offered, one note when it is not."""

import pytest

from surveys import models as m
from surveys.selectors import questionnaire_questions
from surveys.translations import campaign_chinese_gaps, questionnaire_chinese_gaps
from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory

pytestmark = pytest.mark.django_db


def gaps(questionnaire):
    return questionnaire_chinese_gaps(questionnaire, questionnaire_questions(questionnaire))


def test_every_blank_chinese_twin_of_an_english_text_is_listed_in_page_order():
    questionnaire = QuestionnaireFactory(intro="Tell us.", intro_zh_hans="", thank_you="Thanks!")
    QuestionFactory(questionnaire=questionnaire, key="nps", order=1, help_text="0 = not at all")
    QuestionFactory(
        questionnaire=questionnaire, key="why", order=2, kind=m.QuestionKind.SINGLE_CHOICE,
        text="Why?", text_zh_hans="",
        choices=[{"value": "slow", "en": "Too slow", "zh-hans": "太慢"}, {"value": "rude", "en": "Rude"}],
    )
    result = gaps(questionnaire)
    assert result.offered  # the title and the first question are in Chinese
    assert result.missing == [
        "Questionnaire: introduction",
        "Questionnaire: thank-you text",
        "Question 1 (nps): help text",
        "Question 2 (why): text",
        "Question 2 (why): choice “Rude”",
    ]


def test_a_fully_translated_questionnaire_lacks_nothing():
    questionnaire = QuestionnaireFactory(intro_zh_hans="告诉我们。", thank_you_zh_hans="谢谢！")
    QuestionFactory(questionnaire=questionnaire)
    assert gaps(questionnaire).missing == []


def test_a_questionnaire_without_any_chinese_is_english_only_not_offered():
    questionnaire = QuestionnaireFactory(title_zh_hans="")
    QuestionFactory(questionnaire=questionnaire, text_zh_hans="")
    result = gaps(questionnaire)
    assert not result.offered
    assert len(result.missing) == 4  # title, intro, thank-you, question text


def test_campaign_lists_its_email_and_offers_chinese_through_its_email_alone():
    questionnaire = QuestionnaireFactory(title_zh_hans="", intro="", thank_you="")
    QuestionFactory(questionnaire=questionnaire, key="nps", text_zh_hans="")
    campaign = CampaignFactory(questionnaire=questionnaire, email_subject_zh_hans="我们做得怎么样？")
    result = campaign_chinese_gaps(campaign, questionnaire_questions(questionnaire))
    assert result.offered
    assert result.missing == [
        "Email: email text",
        "Questionnaire: title",
        "Question 1 (nps): text",
    ]
