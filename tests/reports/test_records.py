"""The read-only response and ticket pages under /reports/: who may open them, what they show,
and a bounded number of queries."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys import models as m
from surveys.bounds import BIGINT_MAX
from surveys.services.customers import customer_erase
from tests.factories import AgentFactory, CampaignFactory, QuestionFactory, TeamFactory, UserFactory
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

CHOICES = [
    {"value": "slow", "en": "Too slow", "zh-hans": "太慢"},
    {"value": "manner", "en": "Unfriendly", "zh-hans": "不友好"},
]


def response_url(pk) -> str:
    return reverse("surveys:report_response", args=[pk])


def ticket_url(pk) -> str:
    return reverse("surveys:report_ticket", args=[pk])


@pytest.fixture
def record(agent_user):
    """A submitted response on a ticket of the agent persona ("Agent Smith", team North): NPS 3,
    CSAT 2, two reasons chosen and a comment; the ticket answered in 5 h against a 4 h target
    (missed) and resolved in 30 h against 24 h (missed), reopened once."""
    smith = m.Agent.objects.get(user=agent_user)
    smith.team = TeamFactory(name="North")
    smith.save()
    closed = at(timezone.localdate() - timedelta(days=2))
    t = ticket(
        closed,
        frt_s=5 * 3600,
        res_s=30 * 3600,
        agent=smith,
        team=smith.team,
        external_id="REC-1",
        channel="chat",
        subject="Refund never arrived",
        reopen_count=1,
    )
    r = response(t, closed + timedelta(hours=1), nps=3, csat=2)
    questionnaire = r.invitation.questionnaire
    nps = QuestionFactory(questionnaire=questionnaire, key="nps", order=1)
    csat = QuestionFactory(
        questionnaire=questionnaire,
        key="csat",
        kind=m.QuestionKind.CSAT,
        order=2,
        text="How satisfied were you?",
    )
    why = QuestionFactory(
        questionnaire=questionnaire,
        key="why",
        kind=m.QuestionKind.MULTI_CHOICE,
        order=3,
        text="What went wrong?",
        text_zh_hans="哪里出了问题？",
        choices=CHOICES,
    )
    comment = QuestionFactory(
        questionnaire=questionnaire, key="comment", kind=m.QuestionKind.TEXT, order=4, text="Anything else?"
    )
    m.Answer.objects.create(response=r, question=nps, kind=nps.kind, number=3)
    m.Answer.objects.create(response=r, question=csat, kind=csat.kind, number=2)
    m.Answer.objects.create(response=r, question=why, kind=why.kind, choices=["slow", "manner"])
    m.Answer.objects.create(response=r, question=comment, kind=comment.kind, text="<b>Nobody</b> called back")
    return r


# --- who may open them ------------------------------------------------------------------------


def test_manager_opens_the_response_and_the_ticket(manager_client, record):
    assert manager_client.get(response_url(record.pk)).status_code == 200
    assert manager_client.get(ticket_url(record.invitation.ticket_id)).status_code == 200


def test_superuser_opens_them_without_a_role(record):
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert client.get(response_url(record.pk)).status_code == 200


def test_agent_opens_their_own_response_and_ticket(agent_client, record):
    assert agent_client.get(response_url(record.pk)).status_code == 200
    assert agent_client.get(ticket_url(record.invitation.ticket_id)).status_code == 200


def test_another_agents_records_are_not_found_for_an_agent(agent_client, record):
    beth = AgentFactory(name="Beth")
    record.invitation.ticket.agent = beth
    record.invitation.ticket.save()
    # 404, the same as for an id that does not exist: the page does not confirm either.
    assert agent_client.get(response_url(record.pk)).status_code == 404
    assert agent_client.get(ticket_url(record.invitation.ticket_id)).status_code == 404
    assert agent_client.get(response_url(record.pk + 1000)).status_code == 404


def test_anonymous_is_sent_to_the_login_page(client, record):
    got = client.get(response_url(record.pk))
    assert got.status_code == 302 and got.url.startswith(reverse("login"))
    got = client.get(ticket_url(record.invitation.ticket_id))
    assert got.status_code == 302 and got.url.startswith(reverse("login"))


def test_a_login_without_report_access_is_refused(outsider_client, record):
    assert outsider_client.get(response_url(record.pk)).status_code == 403
    assert outsider_client.get(ticket_url(record.invitation.ticket_id)).status_code == 403


def test_unknown_and_out_of_range_ids_are_404_not_500(manager_client):
    for url in (response_url(BIGINT_MAX + 1), ticket_url(BIGINT_MAX + 1), response_url(9_999_999)):
        assert manager_client.get(url).status_code == 404


def test_the_pages_only_read(manager_client, record):
    assert manager_client.post(response_url(record.pk)).status_code == 405


# --- what they show ---------------------------------------------------------------------------


def test_each_answer_is_beside_its_question_with_meaning_and_labels(manager_client, record):
    html = manager_client.get(response_url(record.pk)).content.decode()
    answers = html[html.index("report-answers") :]

    def row(key):
        start = answers.index(f'data-question="{key}"')
        return answers[start : answers.index("</tr>", start)]

    assert "recommend us" in row("nps") and "3 – Unlikely" in row("nps")
    assert "How satisfied were you?" in row("csat") and "2 – " in row("csat")
    assert "What went wrong?" in row("why") and "Too slow, Unfriendly" in row("why")
    assert "slow;" not in row("why")
    assert "&lt;b&gt;Nobody&lt;/b&gt; called back" in row("comment")  # escaped, never markup
    assert record.invitation.campaign.name in html
    assert record.invitation.questionnaire.title in html
    assert 'data-state="submitted"' in html
    assert "data-channel>chat<" in html


def test_questions_are_in_the_viewers_language(manager_client, record):
    html = manager_client.get(response_url(record.pk), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "哪里出了问题？" in html and "太慢, 不友好" in html
    assert "该工单的服务水平" in html  # and the page around them too


def test_a_one_click_response_shows_as_partial(manager_client, record):
    m.Response.objects.filter(pk=record.pk).update(is_complete=False, submitted_at=None)
    html = manager_client.get(response_url(record.pk)).content.decode()
    assert 'data-state="partial"' in html


def test_service_levels_are_rounded_with_targets_met_or_missed(manager_client, record):
    html = manager_client.get(response_url(record.pk)).content.decode()
    levels = html[html.index("report-service-levels") :]
    first = levels[levels.index("data-first-response") : levels.index("data-resolution")]
    assert "5.0 h" in first and "4.0 h" in first and 'data-sla="missed"' in first
    resolution = levels[levels.index("data-resolution") : levels.index("data-reopened")]
    assert "1.3 d" in resolution and "1.0 d" in resolution and 'data-sla="missed"' in resolution
    assert "data-reopened>1<" in levels
    assert "data-fcr>no<" in levels  # reopened once: not resolved at first contact
    assert "Agent Smith" in levels and "North" in levels


def test_a_met_target_and_first_contact_resolution(manager_client, record):
    t = record.invitation.ticket
    t.first_response_at = t.opened_at + timedelta(minutes=90)
    t.reopen_count = 0
    t.save()
    html = manager_client.get(ticket_url(t.pk)).content.decode()
    first = html[html.index("data-first-response") : html.index("data-resolution")]
    assert "1.5 h" in first and 'data-sla="met"' in first
    assert "data-fcr>yes<" in html


def test_an_erased_customer_is_not_shown(manager_client, record):
    customer = record.invitation.customer
    name, email = customer.name, customer.email
    assert name in manager_client.get(response_url(record.pk)).content.decode()
    customer_erase(customer=customer)
    for url in (response_url(record.pk), ticket_url(record.invitation.ticket_id)):
        html = manager_client.get(url).content.decode()
        assert name not in html and email not in html
        assert 'data-customer="erased"' in html


def test_the_follow_up_case_is_shown_with_a_link_for_those_who_may_open_it(
    manager_client, agent_client, manager, record
):
    case = m.FollowUp.objects.create(
        response=record, ticket=record.invitation.ticket, reason=m.FollowUpReason.DETRACTOR, owner=manager
    )
    html = manager_client.get(response_url(record.pk)).content.decode()
    assert "data-case-status>Open" in html and "data-case-owner>manager<" in html
    assert reverse("surveys:case_detail", args=[case.pk]) in html
    # The agent reads the response (their ticket) but the case is the manager's: no link.
    html = agent_client.get(response_url(record.pk)).content.decode()
    assert "data-case-status>Open" in html
    assert reverse("surveys:case_detail", args=[case.pk]) not in html


def test_the_ticket_page_has_events_invitations_and_response_links(manager_client, record):
    t = record.invitation.ticket
    for i, kind in enumerate((m.TicketEventType.OPENED, m.TicketEventType.CLOSED)):
        m.TicketEvent.objects.create(
            source=t.source,
            event_id=f"ev-{i}",
            type=kind,
            occurred_at=t.opened_at + timedelta(hours=i),
            ticket=t,
            payload={"ticket": {"customer": {"email": "secret@example.org"}}},
            applied_at=timezone.now(),
        )
    suppressed = m.Invitation.objects.create(
        campaign=CampaignFactory(name="Second opinion", questionnaire=record.invitation.questionnaire),
        ticket=t,
        customer=t.customer,
        questionnaire=record.invitation.questionnaire,
        status=m.InvitationStatus.SUPPRESSED,
        suppression_reason=m.SuppressionReason.ANOTHER_CAMPAIGN,
        send_after=timezone.now(),
    )
    html = manager_client.get(ticket_url(t.pk)).content.decode()
    events = html[html.index("report-events") :]
    assert events.index('data-event="ticket.opened"') < events.index('data-event="ticket.closed"')
    assert "secret@example.org" not in html  # payloads are not shown
    row = html[html.index(f'data-invitation="{suppressed.pk}"') :]
    assert "Suppressed: Another campaign" in row[: row.index("</tr>")]
    assert response_url(record.pk) in html
    assert "Refund never arrived" in html


@pytest.mark.parametrize("extra_answers", [0, 20])
def test_response_page_queries_do_not_grow_with_answers(
    manager_client, record, extra_answers, django_assert_max_num_queries
):
    questionnaire = record.invitation.questionnaire
    for i in range(extra_answers):
        q = QuestionFactory(
            questionnaire=questionnaire, key=f"extra{i}", kind=m.QuestionKind.RATING, order=10 + i
        )
        m.Answer.objects.create(response=record, question=q, kind=q.kind, number=4)
    m.FollowUp.objects.create(
        response=record, ticket=record.invitation.ticket, reason=m.FollowUpReason.DETRACTOR
    )
    # session, user, the user's and their groups' permissions, the response, its answers
    with django_assert_max_num_queries(6):
        assert manager_client.get(response_url(record.pk)).status_code == 200


@pytest.mark.parametrize("extra", [0, 10])
def test_ticket_page_queries_do_not_grow_with_events_or_invitations(
    manager_client, record, extra, django_assert_max_num_queries
):
    t = record.invitation.ticket
    for i in range(extra):
        m.TicketEvent.objects.create(
            source=t.source,
            event_id=f"e{i}",
            type=m.TicketEventType.UPDATED,
            occurred_at=t.opened_at,
            ticket=t,
            payload={},
        )
        invitation = m.Invitation.objects.create(
            campaign=CampaignFactory(name=f"C{i}", questionnaire=record.invitation.questionnaire),
            ticket=t,
            customer=t.customer,
            questionnaire=record.invitation.questionnaire,
            status=m.InvitationStatus.ANSWERED,
            send_after=timezone.now(),
            sent_at=timezone.now(),
        )
        r = m.Response.objects.create(invitation=invitation, nps_score=2)
        m.FollowUp.objects.create(response=r, ticket=t, reason=m.FollowUpReason.DETRACTOR)
    # session, user, permissions (2), the ticket, its events, its invitations with responses and cases
    with django_assert_max_num_queries(7):
        assert manager_client.get(ticket_url(t.pk)).status_code == 200
