"""response_submit / response_record_score contracts, the alert email, and the query budget."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys import models as m
from surveys.answers import AnswerData
from surveys.forms import SurveyForm
from surveys.services.notifications import response_alert_send
from surveys.services.responses import (
    ScoreInvalidError,
    SurveyClosedError,
    SurveyState,
    response_record_score,
    response_submit,
)
from surveys.tasks.notifications import response_alert
from tests.factories import InvitationFactory, QuestionFactory
from tests.survey.conftest import url

pytestmark = pytest.mark.django_db


def first(questionnaire, key="nps"):
    return questionnaire.questions.get(key=key)


def test_record_score_refuses_a_question_that_is_not_a_scale_or_out_of_range(invitation, questionnaire):
    with pytest.raises(ScoreInvalidError):
        response_record_score(
            invitation=invitation, question=first(questionnaire), score=11, language="en", clicked_at=timezone.now()
        )
    with pytest.raises(ScoreInvalidError):
        response_record_score(
            invitation=invitation, question=first(questionnaire, "comment"), score=1, language="en", clicked_at=timezone.now()
        )
    other = QuestionFactory(kind=m.QuestionKind.NPS)
    with pytest.raises(ScoreInvalidError):
        response_record_score(invitation=invitation, question=other, score=5, language="en", clicked_at=timezone.now())
    assert not m.Response.objects.exists()


def test_record_score_with_low_csat_marks_a_complaint_but_opens_no_case_yet(campaign):
    questionnaire = m.Questionnaire.objects.create(title="CSAT only")
    csat = QuestionFactory(questionnaire=questionnaire, key="csat", kind=m.QuestionKind.CSAT)
    invitation = InvitationFactory(campaign=campaign, questionnaire=questionnaire)

    response = response_record_score(
        invitation=invitation, question=csat, score=1, language="zh-hans", clicked_at=timezone.now()
    )

    assert (response.csat_score, response.is_complaint, response.language) == (1, True, "zh-hans")
    assert not m.FollowUp.objects.exists()


def test_submit_after_a_submit_raises_and_writes_nothing(invitation, questionnaire):
    answers = [AnswerData(question=first(questionnaire), number=10)]
    response_submit(invitation=invitation, answers=answers, language="en")

    with pytest.raises(SurveyClosedError) as closed:
        response_submit(
            invitation=invitation,
            answers=[AnswerData(question=first(questionnaire), number=0)],
            language="en",
        )
    assert closed.value.state == SurveyState.ANSWERED
    assert list(m.Answer.objects.values_list("number", flat=True)) == [10]


def test_submit_to_a_cancelled_invitation_raises(invitation, questionnaire):
    m.Invitation.objects.filter(pk=invitation.pk).update(status=m.InvitationStatus.CANCELLED)

    with pytest.raises(SurveyClosedError) as closed:
        response_submit(invitation=invitation, answers=[], language="en")
    assert closed.value.state == SurveyState.CANCELLED
    assert not m.Response.objects.exists()


def test_a_response_written_against_the_answered_rule_is_refused_by_the_database(invitation, questionnaire):
    """The claim's UPDATE trusts that a response is only written with `answered`; when that rule
    is broken behind its back, the response's unique invitation refuses the second response."""
    from surveys.selectors import invitation_for_token

    read = invitation_for_token(invitation.token)  # read as the page reads it: no response yet
    status = invitation.status
    m.Response.objects.create(invitation=invitation, started_at=timezone.now())  # status left as it was

    with pytest.raises(SurveyClosedError) as closed:
        response_submit(invitation=read, answers=[AnswerData(question=first(questionnaire), number=3)], language="en")
    assert closed.value.state == SurveyState.ANSWERED
    assert m.Response.objects.count() == 1 and not m.Answer.objects.exists()
    assert m.Invitation.objects.get(pk=invitation.pk).status == status  # the claim rolled back too


def _post_queries(client, invitation, data) -> int:
    with CaptureQueriesContext(connection) as queries:
        page = client.post(url(invitation), data)
    assert page.status_code == 303, page.content.decode()[:500]
    # Savepoints exist only because the test runs inside a transaction.
    return len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]])


@pytest.mark.parametrize("extra_questions", [0, 25])
def test_full_submit_costs_at_most_ten_queries_whatever_the_number_of_questions(
    client, invitation, questionnaire, extra_questions
):
    data = {"nps": "2", "why": "slow", "csat": "4", "comment": "ok", "complain": "on"}
    for n in range(extra_questions):
        QuestionFactory(questionnaire=questionnaire, key=f"extra{n}", kind=m.QuestionKind.CES, order=100 + n)
        data[f"extra{n}"] = "5"
    client.post(url(invitation), {"action": "score", "nps": "3"})  # the worst case: replace a partial one

    # 8 before outbound events (issue 17): each of the response and the case it opens reads the
    # active subscriptions once.
    assert _post_queries(client, invitation, data) <= 10
    assert m.Answer.objects.count() == 5 + extra_questions


def test_alert_names_the_ticket_lists_the_answers_and_is_sent_once(invitation, questionnaire):
    invitation.ticket.subject = "Refund <missing>"
    invitation.ticket.save()
    answers = [
        AnswerData(question=first(questionnaire), number=1),
        AnswerData(question=first(questionnaire, "why"), choices=["rude"]),
        AnswerData(question=first(questionnaire, "comment"), text="Nobody called back"),
    ]
    response = response_submit(invitation=invitation, answers=answers, language="zh-hans")

    assert response_alert_send(response_id=response.pk) is True
    response_alert(response.pk)  # a re-delivered task sends nothing more

    # One message per recipient: nobody sees the others' address.
    assert [e.to for e in mail.outbox] == [["lead@example.com"], ["boss@example.com"]]
    assert mail.outbox[0].body == mail.outbox[1].body
    email = mail.outbox[0]
    assert email.subject.startswith("Detractor (NPS 1) from")
    assert invitation.ticket.external_id in email.subject
    assert "Refund <missing>" in email.body
    assert "Unfriendly" in email.body and "Nobody called back" in email.body
    # The campaign opens a case, so the alert links to the case page, not the admin.
    assert f"/cases/{response.followup.pk}/" in email.body
    assert "/admin/" not in email.body


def test_alert_links_to_the_admin_response_when_no_case_was_opened(invitation, questionnaire):
    invitation.campaign.create_followups = False
    invitation.campaign.save()
    response = response_submit(
        invitation=invitation, answers=[AnswerData(question=first(questionnaire), number=1)], language="en"
    )

    assert response_alert_send(response_id=response.pk) is True

    assert f"/admin/surveys/response/{response.pk}/change/" in mail.outbox[0].body


def test_alert_is_not_sent_for_a_promoter_or_without_recipients(invitation, questionnaire):
    response = response_submit(
        invitation=invitation, answers=[AnswerData(question=first(questionnaire), number=9)], language="en"
    )
    assert response_alert_send(response_id=response.pk) is False
    assert response_alert_send(response_id=999_999) is False
    assert mail.outbox == []


def test_form_and_service_agree_on_hidden_questions(invitation, questionnaire):
    form = SurveyForm({"nps": "10", "why": "slow"}, questionnaire=questionnaire, language="en")
    assert form.is_valid()

    response = response_submit(invitation=invitation, answers=form.answers(), language="en")

    assert not response.answers.filter(question__key="why").exists()
