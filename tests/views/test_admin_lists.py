"""The admin lists: no N+1 queries, who may see what, read-only rows, form checks."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys import models as m
from tests.factories import (
    AgentFactory,
    AnswerFactory,
    CampaignFactory,
    CustomerFactory,
    InvitationFactory,
    QuestionFactory,
    ResponseFactory,
    SLAPolicyFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def changelist(model: str) -> str:
    return reverse(f"admin:surveys_{model}_changelist")


def change(obj) -> str:
    return reverse(f"admin:surveys_{obj._meta.model_name}_change", args=[obj.pk])


# --- rows for each list ------------------------------------------------------------------
def make_tickets(n):
    TicketFactory.create_batch(n)


def make_ticket_events(n):
    for ticket in TicketFactory.create_batch(n):
        m.TicketEvent.objects.create(
            source=ticket.source,
            event_id=f"ev-{ticket.external_id}",
            type=m.TicketEventType.CLOSED,
            occurred_at=timezone.now(),
            ticket=ticket,
            payload={"id": ticket.external_id},
        )


def make_customers(n):
    CustomerFactory.create_batch(n, segment="gold", opted_out_at=timezone.now())


def make_invitations(n):
    InvitationFactory.create_batch(n)


def make_responses(n):
    for response in ResponseFactory.create_batch(n, nps_score=9):
        AnswerFactory(response=response, question=QuestionFactory(questionnaire=response.invitation.questionnaire))


def make_followups(n):
    for response in ResponseFactory.create_batch(n, nps_score=2):
        m.FollowUp.objects.create(
            response=response,
            ticket=response.invitation.ticket,
            reason=m.FollowUpReason.DETRACTOR,
            owner=UserFactory(),
        )


def make_targets(n):
    for i in range(n):
        m.Target.objects.create(
            metric=m.Metric.NPS,
            value=40,
            period_start=date(2026, 1, 1) + timedelta(days=i),
            period_end=date(2026, 4, 1) + timedelta(days=i),
            campaign=CampaignFactory(),
            team=TeamFactory(),
        )


def make_improvement_actions(n):
    for i in range(n):
        m.ImprovementAction.objects.create(
            title=f"Action {i}", goal="Faster replies", started_on=date(2026, 1, 1), owner=UserFactory()
        )


def make_alert_rules(n):
    for i in range(n):
        m.AlertRule.objects.create(
            name=f"Rule {i}",
            metric=m.Metric.NPS,
            comparison=m.Comparison.LT,
            threshold=0,
            campaign=CampaignFactory(),
            recipients="lead@example.com",
        )


def make_alert_logs(n):
    rule = m.AlertRule.objects.create(name="Rule", metric=m.Metric.NPS, recipients="lead@example.com")
    now = timezone.now()
    for _i in range(n):
        log = m.AlertLog.objects.create(
            rule=rule, kind=m.AlertLogKind.FIRED, fired_at=now, figure=-10, n=20,
            window_start=now - timedelta(hours=24), window_end=now, subject="Alert", body="NPS -10",
        )
        m.AlertDelivery.objects.create(log=log, channel=m.DeliveryChannel.EMAIL, destination="lead@example.com")


def make_teams(n):
    for team in TeamFactory.create_batch(n):
        AgentFactory(team=team)


def make_agents_with_users(n):
    for _i in range(n):
        AgentFactory(user=UserFactory())


LISTS = {
    "ticket": make_tickets,
    "ticketevent": make_ticket_events,
    "customer": make_customers,
    "invitation": make_invitations,
    "response": make_responses,
    "followup": make_followups,
    "target": make_targets,
    "improvementaction": make_improvement_actions,
    "alertrule": make_alert_rules,
    "alertlog": make_alert_logs,
    "team": make_teams,
    "agent": make_agents_with_users,
}


@pytest.mark.parametrize("model", list(LISTS))
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(changelist(model))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    LISTS[model](2)
    first = count_queries()
    LISTS[model](10)
    assert count_queries() == first


def test_sla_changelist_queries_do_not_grow_with_rows(admin_client):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            admin_client.get(changelist("slapolicy"))
        return len(ctx.captured_queries)

    SLAPolicyFactory(priority=m.Priority.LOW)
    first = count_queries()
    for priority in (m.Priority.NORMAL, m.Priority.HIGH, m.Priority.URGENT):
        SLAPolicyFactory(priority=priority)
    assert count_queries() == first


# --- personas ------------------------------------------------------------------------------
def test_manager_views_tickets_and_responses(manager_client):
    ticket = TicketFactory(external_id="HD-4242", subject="Refund never arrived")
    answer = AnswerFactory(
        response__invitation__ticket=ticket,
        question=QuestionFactory(text="Anything else?", kind=m.QuestionKind.TEXT),
        kind=m.QuestionKind.TEXT,
        number=None,
        text="Slow but friendly",
    )

    tickets = manager_client.get(changelist("ticket")).content.decode()
    responses = manager_client.get(changelist("response")).content.decode()
    detail = manager_client.get(change(answer.response)).content.decode()

    assert "HD-4242" in tickets
    assert "Refund never arrived" in tickets
    assert "HD-4242" in responses
    assert "Anything else?" in detail
    assert "Slow but friendly" in detail


@pytest.mark.parametrize("model", ["ticket", "ticketevent", "response", "invitation"])
def test_rows_from_customers_and_helpdesks_cannot_be_added(manager_client, admin_client, model):
    add = reverse(f"admin:surveys_{model}_add")

    assert manager_client.get(add).status_code == 403
    assert admin_client.get(add).status_code == 403


def test_ticket_cannot_be_changed_even_by_a_superuser(admin_client):
    ticket = TicketFactory(subject="Original")

    page = admin_client.get(change(ticket))
    posted = admin_client.post(change(ticket), {"subject": "Rewritten"})

    assert page.status_code == 200
    assert 'name="subject"' not in page.content.decode()
    assert posted.status_code == 403
    ticket.refresh_from_db()
    assert ticket.subject == "Original"


def test_designer_cannot_view_responses_or_tickets(designer_client):
    ResponseFactory()

    assert designer_client.get(changelist("response")).status_code == 403
    assert designer_client.get(changelist("ticket")).status_code == 403
    assert designer_client.get(changelist("slapolicy")).status_code == 200


@pytest.mark.parametrize("model", [*LISTS, "slapolicy", "campaign"])
def test_outsider_is_forbidden_and_agent_is_sent_to_login(outsider_client, agent_client, model):
    assert outsider_client.get(changelist(model)).status_code == 403
    response = agent_client.get(changelist(model))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- list contents -------------------------------------------------------------------------
def test_ticket_list_shows_durations_in_words_and_searches_customer_email(manager_client):
    opened = timezone.now() - timedelta(days=3)
    TicketFactory(
        external_id="HD-1",
        customer=CustomerFactory(email="pat@example.net"),
        opened_at=opened,
        first_response_at=opened + timedelta(minutes=90),
        resolved_at=opened + timedelta(days=2, hours=3),
    )
    TicketFactory(external_id="HD-2")

    html = manager_client.get(changelist("ticket"), {"q": "pat@example.net"}).content.decode()

    assert "HD-1" in html
    assert "HD-2" not in html
    assert "1 h 30 min" in html
    assert "2 days 3 h" in html


def test_ticket_list_filters_by_complaint(manager_client):
    TicketFactory(external_id="HD-COMPLAINT", is_complaint=True)
    TicketFactory(external_id="HD-FINE", is_complaint=False)

    html = manager_client.get(changelist("ticket"), {"is_complaint__exact": "1"}).content.decode()

    assert "HD-COMPLAINT" in html
    assert "HD-FINE" not in html


def test_invitation_is_read_only_and_never_shows_its_token(manager_client):
    invitation = InvitationFactory(
        status=m.InvitationStatus.SUPPRESSED, suppression_reason=m.SuppressionReason.OPTED_OUT, sent_at=None
    )

    html = manager_client.get(change(invitation)).content.decode()
    posted = manager_client.post(change(invitation), {"status": m.InvitationStatus.SCHEDULED})

    assert invitation.token not in html  # the customer's only credential
    assert "Opted out" in html
    assert posted.status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SUPPRESSED


def test_sla_policies_are_listed_and_edited_in_hours(designer_client):
    SLAPolicyFactory(priority=m.Priority.HIGH, first_response_target_s=1800, resolution_target_s=8 * 3600)

    html = designer_client.get(changelist("slapolicy")).content.decode()
    response = designer_client.post(
        reverse("admin:surveys_slapolicy_add"),
        {"priority": m.Priority.URGENT, "first_response_hours": "0.25", "resolution_hours": "4"},
    )

    assert "0.5 h" in html
    assert "8 h" in html
    assert response.status_code == 302
    policy = m.SLAPolicy.objects.get(priority=m.Priority.URGENT)
    assert (policy.first_response_target_s, policy.resolution_target_s) == (900, 4 * 3600)


def test_sla_resolution_shorter_than_first_response_is_refused(designer_client):
    response = designer_client.post(
        reverse("admin:surveys_slapolicy_add"),
        {"priority": m.Priority.LOW, "first_response_hours": "5", "resolution_hours": "2"},
    )

    assert "resolution_hours" in response.context["adminform"].form.errors
    assert not m.SLAPolicy.objects.exists()


def test_alert_rule_recipients_must_be_addresses(manager_client):
    data = {
        "name": "Detractor spike",
        "is_active": "on",
        "check_kind": m.AlertCheck.METRIC,
        "metric": m.Metric.NPS,
        "percentile": "50",
        "cooldown_minutes": "240",
        "comparison": m.Comparison.LT,
        "threshold": "0",
        "window_hours": "24",
        "min_n": "5",
        "campaign": "",
        "recipients": "lead@example.com\nnobody",
    }

    refused = manager_client.post(reverse("admin:surveys_alertrule_add"), data)
    accepted = manager_client.post(
        reverse("admin:surveys_alertrule_add"), {**data, "recipients": "lead@example.com\n ops@example.com "}
    )

    assert "nobody" in refused.context["adminform"].form.errors["recipients"][0]
    assert accepted.status_code == 302
    assert m.AlertRule.objects.get().recipients == "lead@example.com\nops@example.com"
