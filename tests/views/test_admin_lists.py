"""The admin lists: no N+1 queries, who may see what, read-only rows, erasure and follow-ups."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys import models as m
from surveys.services.customers import customer_erase
from surveys.services.followups import followup_update
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


# --- customer erasure ------------------------------------------------------------------
def test_customer_erase_clears_personal_fields_and_keeps_tickets():
    customer = CustomerFactory(email="kim@example.org", name="Kim", external_id="crm-9", segment="gold")
    ticket = TicketFactory(customer=customer)
    ResponseFactory(invitation__ticket=ticket, invitation__customer=customer, nps_score=3)

    customer_erase(customer=customer)

    customer.refresh_from_db()
    assert customer.email is None
    assert customer.name == ""
    assert customer.external_id == ""
    assert customer.erased_at is not None
    assert customer.segment == "gold"
    assert list(customer.tickets.all()) == [ticket]
    assert m.Response.objects.filter(invitation__customer=customer, nps_score=3).count() == 1


def test_customer_erase_twice_keeps_the_first_erasure_time():
    customer = CustomerFactory()
    first = customer_erase(customer=customer).erased_at

    assert customer_erase(customer=customer).erased_at == first


def test_erase_action_in_the_admin(admin_client):
    keep = CustomerFactory(email="keep@example.org")
    gone = CustomerFactory(email="gone@example.org", name="Gone")
    TicketFactory(customer=gone)

    response = admin_client.post(
        changelist("customer"),
        {"action": "erase_personal_data", "_selected_action": [gone.pk]},
        follow=True,
    )

    gone.refresh_from_db()
    keep.refresh_from_db()
    assert "Erased the personal data of 1 customer" in response.content.decode()
    assert gone.email is None and gone.name == "" and gone.erased_at is not None
    assert gone.tickets.count() == 1
    assert keep.email == "keep@example.org" and keep.erased_at is None


def test_manager_cannot_erase_customers(manager_client):
    customer = CustomerFactory(email="stay@example.org")

    page = manager_client.get(changelist("customer")).content.decode()
    manager_client.post(changelist("customer"), {"action": "erase_personal_data", "_selected_action": [customer.pk]})

    customer.refresh_from_db()
    assert "erase_personal_data" not in page
    assert customer.email == "stay@example.org"
    assert customer.erased_at is None


# --- follow-ups ------------------------------------------------------------------------
@pytest.fixture
def followup():
    response = ResponseFactory(nps_score=1)
    return m.FollowUp.objects.create(
        response=response, ticket=response.invitation.ticket, reason=m.FollowUpReason.DETRACTOR
    )


def test_followup_update_stamps_closed_at_once_and_clears_it_on_reopen(followup, manager):
    recovered = m.FollowUpOutcome.RECOVERED
    closed = followup_update(
        followup=followup, status=m.FollowUpStatus.CLOSED, owner=manager, notes="Called", outcome=recovered
    )
    first_closed_at = closed.closed_at
    again = followup_update(
        followup=followup, status=m.FollowUpStatus.CLOSED, owner=manager, notes="Called twice", outcome=recovered
    )
    assert first_closed_at is not None
    assert again.closed_at == first_closed_at

    reopened = followup_update(followup=followup, status=m.FollowUpStatus.IN_PROGRESS, owner=None, notes="")

    reopened.refresh_from_db()
    assert reopened.closed_at is None and reopened.outcome == ""
    assert reopened.status == m.FollowUpStatus.IN_PROGRESS


def test_manager_closes_a_followup_in_the_admin(manager_client, manager, followup):
    response = manager_client.post(
        change(followup),
        {"status": m.FollowUpStatus.CLOSED, "outcome": "resolved", "owner": manager.pk, "notes": "Refund issued"},
    )

    assert response.status_code == 302
    followup.refresh_from_db()
    assert (followup.status, followup.outcome) == (m.FollowUpStatus.CLOSED, m.FollowUpOutcome.RESOLVED)
    assert followup.owner == manager
    assert followup.notes == "Refund issued"
    assert followup.closed_at is not None


def test_admin_refuses_to_close_a_followup_without_an_outcome(manager_client, manager, followup):
    response = manager_client.post(
        change(followup), {"status": m.FollowUpStatus.CLOSED, "outcome": "", "owner": manager.pk, "notes": ""}
    )

    assert response.status_code == 200
    assert "A closed case needs an outcome" in response.content.decode()
    followup.refresh_from_db()
    assert followup.status == m.FollowUpStatus.OPEN


def test_followup_cannot_be_added_by_hand(manager_client):
    assert manager_client.get(reverse("admin:surveys_followup_add")).status_code == 403
