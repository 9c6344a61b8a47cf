"""Questionnaire admin: the preview, the clone into the next version, and the lock once answered."""

import pytest

from surveys import models as m
from tests.factories import QuestionFactory, QuestionnaireFactory, ResponseFactory
from tests.views.questionnaire_admin import (
    LIST_URL,
    NPS,
    PREFIX,
    WRONG,
    change_url,
    clone_url,
    preview_url,
    questionnaire_post,
)

pytestmark = pytest.mark.django_db


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
