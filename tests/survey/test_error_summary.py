"""Errors a person can find: the summary at the top, the title, each field's own message, and
required said to assistive technology without announcing a fresh page as invalid."""

import pytest

from surveys import models as m
from tests.factories import QuestionFactory
from tests.survey.conftest import url
from tests.survey.page_html import Page

pytestmark = pytest.mark.django_db


def failed_submit(client, invitation, **query):
    # nps missing (required), csat out of range, the comment one character too long.
    page = client.post(url(invitation, **query), {"csat": "9", "stars": "3", "comment": "x" * 5001})
    assert page.status_code == 400
    return Page(page.content.decode())


def test_a_failed_submit_puts_a_focusable_summary_first_that_links_each_field_in_page_order(
    client, invitation
):
    page = failed_submit(client, invitation)

    summary = page.by_id("error-summary")
    assert summary["tabindex"] == "-1" and "autofocus" in summary
    links = [a["href"] for a in page.find("a", data_error_link=True)]
    assert links == ["#id_nps_0", "#id_csat_0", "#id_comment"]
    for href in links:
        page.by_id(href[1:])  # each link lands on a control of the page
    text = page.text("error-summary")
    assert text.startswith("Please check these 3 answers:")
    assert "Question nps? — This field is required." in text
    assert "Ensure this value has at most 5000 characters (it has 5001)." in text
    # The summary comes before the form in the document, so it is the first thing read.
    order = [attributes.get("id") or attributes.get("data-survey-form") for _tag, attributes in page.elements]
    assert order.index("error-summary") < order.index("")


def test_a_failed_submit_says_error_in_the_title_in_both_languages(client, invitation):
    assert failed_submit(client, invitation).title.startswith("Error: ")
    assert failed_submit(client, invitation, lang="zh-hans").title.startswith("错误：")
    assert not Page(client.get(url(invitation)).content.decode()).title.startswith("Error")


def test_each_invalid_field_carries_aria_invalid_and_is_described_by_its_own_message(client, invitation):
    page = failed_submit(client, invitation)

    for group, message in (
        ("div_id_nps", "This field is required."),
        ("div_id_csat", "Select a valid choice."),
    ):
        fieldset = page.by_id(group)
        assert fieldset["role"] == "radiogroup" and fieldset["aria-invalid"] == "true"
        error_id = fieldset["aria-describedby"]
        assert error_id == group.removeprefix("div_") + "_error"
        assert message in page.text(error_id)
    comment = page.by_id("id_comment")
    assert comment["aria-invalid"] == "true"
    described = comment["aria-describedby"].split()
    assert "id_comment_error" in described and "id_comment_counter" in described  # its message, its counter
    assert "at most 5000 characters" in page.text("id_comment_error")
    # A field answered correctly is not marked.
    assert "aria-invalid" not in page.by_id("div_id_stars")
    assert not page.find("input", name="stars", aria_invalid=True)


def test_a_fresh_page_says_required_without_announcing_anything_invalid(client, invitation):
    page = Page(client.get(url(invitation)).content.decode())

    assert page.find(aria_invalid=True) == []
    # The HTML attribute would make Chromium expose every empty required field as invalid.
    assert page.find(required=True) == []
    assert page.by_id("div_id_nps")["aria-required"] == "true"
    # A follow-up required when shown says so, like any other required question.
    assert page.by_id("div_id_why")["aria-required"] == "true"
    assert "aria-required" not in page.by_id("div_id_csat")
    assert "Questions marked * need an answer." in client.get(url(invitation)).content.decode()


def test_required_text_and_multiple_choice_say_required_their_own_way(client, questionnaire, invitation):
    questionnaire.questions.filter(key__in=["comment", "topics"]).update(required=True)
    questionnaire.save()  # a new updated_at: the cached question list is read afresh

    html = client.get(url(invitation)).content.decode()
    page = Page(html)

    assert page.by_id("id_comment")["aria-required"] == "true"
    # A group of checkboxes cannot carry aria-required: its legend says it in words.
    assert "role" not in page.by_id("div_id_topics")
    assert "Question topics?" in page.text("div_id_topics") and "(required)" in page.text("div_id_topics")


def test_no_asterisk_note_when_nothing_is_required(client, campaign, questionnaire):
    questionnaire.questions.update(required=False)
    questionnaire.save()
    from tests.factories import InvitationFactory

    html = client.get(url(InvitationFactory(campaign=campaign))).content.decode()

    assert "Questions marked * need an answer." not in html
    assert "asteriskField" not in html


def test_a_follow_up_is_placed_right_after_the_question_that_opens_it(client, questionnaire, invitation):
    # Ordered last, like the demo's "what went wrong" after five other questions.
    QuestionFactory(
        questionnaire=questionnaire,
        key="late",
        kind=m.QuestionKind.TEXT,
        order=questionnaire.questions.order_by("-order").first().order + 1,
        text="Tell us more about the effort",
        condition_key="ces",
        condition_values=["1", "2"],
    )
    questionnaire.save()

    page = Page(client.get(url(invitation)).content.decode())

    blocks = [attributes["data-question"] for attributes in page.find("div", data_question=True)]
    assert blocks == ["nps", "why", "csat", "ces", "late", "stars", "topics", "solved", "complain", "comment"]
    late = page.find("div", data_question="late")[0]
    assert late["data-label"] == "Tell us more about the effort"


def test_the_designers_preview_shows_the_same_summary_and_title(designer_client, questionnaire):
    from django.urls import reverse

    preview = reverse("admin:surveys_questionnaire_preview", args=[questionnaire.pk])

    page = Page(designer_client.post(preview, {"csat": "9"}).content.decode())

    assert page.title.startswith("Error: ")
    assert [a["href"] for a in page.find("a", data_error_link=True)] == ["#id_nps_0", "#id_csat_0"]
    assert not Page(designer_client.get(preview).content.decode()).title.startswith("Error")
