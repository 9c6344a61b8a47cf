"""The case pages per role, and the case workflow: assign, notes, contact, email, close with
an outcome, re-survey, reopen. Each action's test would fail if the action broke."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from surveys import models as m
from surveys.services.followups import followup_close, followup_resurvey
from tests.factories import UserFactory

from .conftest import make_case

pytestmark = pytest.mark.django_db


def detail(case):
    return reverse("surveys:case_detail", args=[case.pk])


def action(case, name):
    return reverse(f"surveys:case_{name}", args=[case.pk])


# --- who sees what ----------------------------------------------------------------------
def test_manager_sees_every_case_and_an_agent_only_their_own(
    manager_client, agent_client, agent_user, manager
):
    mine = make_case(owner=agent_user)
    theirs = make_case(owner=manager)
    nobodys = make_case()

    managers = manager_client.get(reverse("surveys:cases")).content.decode()
    agents = agent_client.get(reverse("surveys:cases")).content.decode()

    for case in (mine, theirs, nobodys):
        assert f'data-case="{case.pk}"' in managers
    assert f'data-case="{mine.pk}"' in agents
    assert f'data-case="{theirs.pk}"' not in agents and f'data-case="{nobodys.pk}"' not in agents
    assert agent_client.get(detail(mine)).status_code == 200
    assert agent_client.get(detail(theirs)).status_code == 403


def test_outsider_and_anonymous_are_kept_out(outsider_client, client, case):
    assert outsider_client.get(reverse("surveys:cases")).status_code == 403
    assert outsider_client.get(detail(case)).status_code == 403
    assert outsider_client.post(action(case, "notes"), {"notes": "x"}).status_code == 403
    page = client.get(detail(case))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


def test_unknown_case_is_404_and_unknown_list_is_400(manager_client):
    assert manager_client.get(reverse("surveys:case_detail", args=[999_999])).status_code == 404
    assert manager_client.get(reverse("surveys:cases") + "?list=nonsense").status_code == 400


# --- due date and overdue ---------------------------------------------------------------
def test_due_date_comes_from_the_follow_up_sla_setting(settings):
    settings.FOLLOWUP_DUE_HOURS = 6
    before = timezone.now()
    case = make_case()
    assert before + timedelta(hours=6) <= case.due_at <= timezone.now() + timedelta(hours=6)


def test_survey_submit_opens_a_case_due_after_the_setting(settings, client):
    from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory

    settings.FOLLOWUP_DUE_HOURS = 24
    campaign = CampaignFactory(create_followups=True)
    QuestionFactory(questionnaire=campaign.questionnaire, key="nps", kind=m.QuestionKind.NPS)
    invitation = InvitationFactory(campaign=campaign)
    from surveys.answers import AnswerData
    from surveys.services.responses import response_submit

    question = campaign.questionnaire.questions.get()
    response = response_submit(
        invitation=invitation, answers=[AnswerData(question=question, number=3)], language="en"
    )

    case = response.followup
    assert case.due_at - case.created_at == pytest.approx(timedelta(hours=24), abs=timedelta(seconds=2))


def test_open_case_past_its_due_time_is_overdue_and_a_closed_one_is_not(manager_client):
    case = make_case()
    closed = make_case()
    followup_close(followup=closed, outcome=m.FollowUpOutcome.RESOLVED)

    with time_machine.travel(case.due_at - timedelta(minutes=1)):
        assert (
            f'data-case="{case.pk}"'
            not in manager_client.get(reverse("surveys:cases") + "?list=overdue").content.decode()
        )
    with time_machine.travel(case.due_at + timedelta(minutes=1)):
        overdue = manager_client.get(reverse("surveys:cases") + "?list=overdue").content.decode()
        page = manager_client.get(detail(case)).content.decode()
    assert f'data-case="{case.pk}"' in overdue and f'data-case="{closed.pk}"' not in overdue
    assert "data-overdue" in page


# --- assignment, notes, contact ---------------------------------------------------------
def test_manager_assigns_a_case_to_an_agent_who_then_sees_it(manager_client, agent_client, agent_user, case):
    assert agent_client.get(detail(case)).status_code == 403

    page = manager_client.post(action(case, "assign"), {"owner": agent_user.pk})

    assert page.status_code == 302
    case.refresh_from_db()
    assert case.owner == agent_user
    assert agent_client.get(detail(case)).status_code == 200


def test_agent_cannot_reassign_and_bad_owner_is_400(manager_client, agent_client, agent_user, manager):
    case = make_case(owner=agent_user)
    assert agent_client.post(action(case, "assign"), {"owner": manager.pk}).status_code == 403
    assert manager_client.post(action(case, "assign"), {"owner": "999999"}).status_code == 400
    outsider = UserFactory(username="nobody-in-a-role")
    assert manager_client.post(action(case, "assign"), {"owner": outsider.pk}).status_code == 400
    case.refresh_from_db()
    assert case.owner == agent_user


def test_agent_saves_notes_on_their_case(agent_client, agent_user):
    case = make_case(owner=agent_user)

    assert agent_client.post(action(case, "notes"), {"notes": "Called, left a message"}).status_code == 302
    assert agent_client.post(action(case, "notes"), {"notes": "x" * 5001}).status_code == 400

    case.refresh_from_db()
    assert case.notes == "Called, left a message"


def test_recording_a_contact_stamps_the_first_contact_once(manager_client, case):
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        manager_client.post(action(case, "contact"))
    case.refresh_from_db()
    first = case.first_contact_at
    manager_client.post(action(case, "contact"))

    case.refresh_from_db()
    assert first is not None and case.first_contact_at == first
    assert case.status == m.FollowUpStatus.IN_PROGRESS


# --- email to the customer --------------------------------------------------------------
def test_email_goes_to_the_customer_with_reply_to_the_owner(manager_client, agent_user):
    case = make_case(owner=agent_user)
    customer = case.response.invitation.customer

    page = manager_client.post(action(case, "email"), {"subject": "Your refund", "body": "We refunded you."})

    assert page.status_code == 302
    [email] = mail.outbox
    assert email.to == [customer.email]
    assert email.reply_to == [agent_user.email]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL  # the campaign names no sender
    assert (email.subject, email.body) == ("Your refund", "We refunded you.")
    case.refresh_from_db()
    assert case.first_contact_at is not None and case.status == m.FollowUpStatus.IN_PROGRESS
    kept = case.emails.get()
    assert (kept.to_email, kept.reply_to, kept.body) == (customer.email, agent_user.email, "We refunded you.")


def test_email_form_is_written_in_the_customers_language(manager_client, manager):
    case = make_case(owner=manager, language=m.Language.ZH_HANS)
    ticket = case.ticket.external_id

    page = manager_client.get(detail(case)).content.decode()

    assert f"关于您的请求 {ticket}" in page
    assert "感谢您告诉我们" in page
    manager_client.post(action(case, "email"), {"subject": f"关于您的请求 {ticket}", "body": "您好"})
    assert mail.outbox[0].extra_headers["Content-Language"] == "zh-hans"


def test_email_in_english_for_an_english_customer(manager_client, case):
    page = manager_client.get(detail(case)).content.decode()
    assert f"About your request {case.ticket.external_id}" in page


def test_email_without_an_address_or_with_an_empty_subject_is_refused(manager_client, case):
    assert manager_client.post(action(case, "email"), {"subject": "", "body": "x"}).status_code == 400
    m.Customer.objects.filter(pk=case.response.invitation.customer_id).update(email=None)
    page = manager_client.post(action(case, "email"), {"subject": "Hi", "body": "x"})
    assert page.status_code == 400 and "no email address" in page.content.decode()
    assert mail.outbox == [] and not case.emails.exists()


# --- outcome, re-survey, reopen ---------------------------------------------------------
def test_closing_records_the_outcome(agent_client, agent_user):
    case = make_case(owner=agent_user)

    page = agent_client.post(action(case, "close"), {"outcome": "not_reached"})

    assert page.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.outcome) == (m.FollowUpStatus.CLOSED, m.FollowUpOutcome.NOT_REACHED)
    assert case.closed_at is not None
    assert not m.Invitation.objects.filter(resurvey_of=case).exists()


def test_close_without_or_with_an_unknown_outcome_is_400(manager_client, case):
    assert manager_client.post(action(case, "close"), {"outcome": ""}).status_code == 400
    assert manager_client.post(action(case, "close"), {"outcome": "won"}).status_code == 400
    case.refresh_from_db()
    assert case.status == m.FollowUpStatus.OPEN


def test_closing_with_a_resurvey_schedules_a_new_invitation(manager_client, case):
    first = case.response.invitation

    manager_client.post(action(case, "close"), {"outcome": "recovered", "resurvey": "on"})

    again = m.Invitation.objects.get(resurvey_of=case)
    assert again.pk != first.pk
    assert (again.campaign_id, again.ticket_id, again.customer_id, again.questionnaire_id) == (
        first.campaign_id,
        first.ticket_id,
        first.customer_id,
        first.questionnaire_id,
    )
    assert again.status == m.InvitationStatus.SCHEDULED and again.send_after <= timezone.now()
    assert again.token != first.token


def test_resurvey_only_after_closing_and_only_once(case):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        followup_resurvey(followup=case)
    followup_close(followup=case, outcome=m.FollowUpOutcome.RECOVERED, resurvey=True)
    with pytest.raises(ValidationError):
        followup_resurvey(followup=case)
    assert m.Invitation.objects.filter(resurvey_of=case).count() == 1


def test_resurvey_of_an_opted_out_customer_is_refused_and_the_case_stays_open(manager_client, case):
    m.Customer.objects.filter(pk=case.response.invitation.customer_id).update(opted_out_at=timezone.now())

    page = manager_client.post(action(case, "close"), {"outcome": "recovered", "resurvey": "on"})

    assert page.status_code == 400
    case.refresh_from_db()
    assert case.status == m.FollowUpStatus.OPEN  # one transaction: no close without its re-survey


def test_reopen_clears_the_outcome(manager_client, case):
    followup_close(followup=case, outcome=m.FollowUpOutcome.DECLINED)

    assert manager_client.post(action(case, "reopen")).status_code == 302

    case.refresh_from_db()
    assert (case.status, case.outcome, case.closed_at) == (m.FollowUpStatus.IN_PROGRESS, "", None)
    assert manager_client.post(action(case, "reopen")).status_code == 400


def test_closed_case_takes_no_email(manager_client, case):
    followup_close(followup=case, outcome=m.FollowUpOutcome.DECLINED)
    assert manager_client.post(action(case, "email"), {"subject": "Hi", "body": "x"}).status_code == 400
    assert mail.outbox == []


def test_a_resurvey_answer_opens_no_new_case(case):
    from surveys.answers import AnswerData
    from surveys.services.responses import response_submit
    from tests.factories import QuestionFactory

    first = case.response.invitation
    question = QuestionFactory(questionnaire=first.questionnaire, key="nps", kind=m.QuestionKind.NPS)
    m.Campaign.objects.filter(pk=first.campaign_id).update(create_followups=True)
    followup_close(followup=case, outcome=m.FollowUpOutcome.RESOLVED, resurvey=True)
    again = m.Invitation.objects.select_related("campaign").get(resurvey_of=case)
    again.status = m.InvitationStatus.SENT
    again.sent_at = timezone.now()
    again.save()

    answer = response_submit(
        invitation=again, answers=[AnswerData(question=question, number=4)], language="en"
    )

    assert answer.nps_score == 4
    assert m.FollowUp.objects.count() == 1  # still only the first case
