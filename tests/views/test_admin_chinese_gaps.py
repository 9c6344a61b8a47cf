"""The designer's pages flag missing Chinese translations: questionnaire, preview, campaign."""

import pytest
from django.urls import reverse

from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def half_translated():
    questionnaire = QuestionnaireFactory(intro="Tell us <how> we did.", intro_zh_hans="")
    QuestionFactory(questionnaire=questionnaire, key="why", text="Why <that>?", text_zh_hans="")
    return questionnaire


def test_questionnaire_change_page_lists_the_missing_chinese(designer_client, half_translated):
    page = designer_client.get(reverse("admin:surveys_questionnaire_change", args=[half_translated.pk]))
    html = page.content.decode()
    assert "Missing Chinese translations" in html
    assert "Questionnaire: introduction" in html
    assert "Question 1 (why): text" in html


def test_preview_in_either_language_lists_the_missing_chinese(manager_client, half_translated):
    url = reverse("admin:surveys_questionnaire_preview", args=[half_translated.pk])
    for lang in ("en", "zh-hans"):
        html = manager_client.get(f"{url}?lang={lang}").content.decode()
        assert "Missing Chinese translations" in html, lang
        assert "Question 1 (why): text" in html, lang


def test_fully_translated_questionnaire_shows_no_gaps(designer_client):
    questionnaire = QuestionnaireFactory(intro_zh_hans="告诉我们。", thank_you_zh_hans="谢谢！")
    QuestionFactory(questionnaire=questionnaire)
    page = designer_client.get(reverse("admin:surveys_questionnaire_change", args=[questionnaire.pk]))
    assert b"chinese-gaps" not in page.content
    preview = designer_client.get(reverse("admin:surveys_questionnaire_preview", args=[questionnaire.pk]))
    assert b"chinese-gaps" not in preview.content


def test_english_only_questionnaire_gets_one_note_not_a_list(designer_client):
    questionnaire = QuestionnaireFactory(title_zh_hans="")
    QuestionFactory(questionnaire=questionnaire, text_zh_hans="")
    html = designer_client.get(
        reverse("admin:surveys_questionnaire_change", args=[questionnaire.pk])
    ).content.decode()
    assert "No Chinese text yet" in html
    assert "Missing Chinese translations" not in html


def test_campaign_change_page_lists_its_email_and_questionnaire_gaps(designer_client, half_translated):
    campaign = CampaignFactory(questionnaire=half_translated, email_subject_zh_hans="我们做得怎么样？")
    html = designer_client.get(reverse("admin:surveys_campaign_change", args=[campaign.pk])).content.decode()
    assert "Email: email text" in html
    assert "Question 1 (why): text" in html
    assert "Email: email subject" not in html


def test_add_pages_show_no_gaps(designer_client):
    for name in ("admin:surveys_questionnaire_add", "admin:surveys_campaign_add"):
        assert b"chinese-gaps" not in designer_client.get(reverse(name)).content
