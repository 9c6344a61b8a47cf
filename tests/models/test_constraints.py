"""Every invariant of the data model is a database constraint: a bad row is refused by the
database itself, whatever code tries to write it."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys import models as m
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    CustomerFactory,
    InvitationFactory,
    QuestionFactory,
    QuestionnaireFactory,
    ResponseFactory,
    SLAPolicyFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def refused(make):
    """The database refuses the row that ``make`` writes, and nothing is left behind."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


# --- customers, agents, SLA --------------------------------------------------------------
def test_customer_email_is_unique_whatever_its_case():
    CustomerFactory(email="Ana@Example.org")
    refused(lambda: CustomerFactory(email="ana@example.ORG"))
    assert m.Customer.objects.filter(email__iexact="ana@example.org").count() == 1


def test_erased_customers_may_share_the_missing_email():
    now = timezone.now()
    CustomerFactory(email=None, erased_at=now)
    CustomerFactory(email=None, erased_at=now)
    assert m.Customer.objects.filter(email__isnull=True).count() == 2


def test_erased_customer_cannot_keep_an_email():
    refused(lambda: CustomerFactory(email="left@example.org", erased_at=timezone.now()))


def test_agent_external_id_unique_but_blank_allowed_many_times():
    from tests.factories import AgentFactory

    AgentFactory(external_id="a-7")
    refused(lambda: AgentFactory(external_id="a-7"))
    AgentFactory(external_id="")
    AgentFactory(external_id="")
    assert m.Agent.objects.filter(external_id="").count() == 2


def test_sla_policy_one_per_priority_and_resolution_not_before_response():
    SLAPolicyFactory(priority=m.Priority.HIGH)
    refused(lambda: m.SLAPolicy.objects.create(priority=m.Priority.HIGH, first_response_target_s=1,
                                               resolution_target_s=2))
    refused(lambda: m.SLAPolicy.objects.create(priority=m.Priority.LOW, first_response_target_s=100,
                                               resolution_target_s=50))
    refused(lambda: m.SLAPolicy.objects.create(priority=m.Priority.LOW, first_response_target_s=0,
                                               resolution_target_s=50))


# --- questionnaires ----------------------------------------------------------------------
def test_question_key_unique_within_questionnaire_only():
    question = QuestionFactory(key="nps")
    refused(lambda: QuestionFactory(questionnaire=question.questionnaire, key="nps"))
    QuestionFactory(key="nps")  # another questionnaire
    assert m.Question.objects.filter(key="nps").count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "matrix"},
        {"kind": m.QuestionKind.NPS, "raises_complaint": True},
        {"kind": m.QuestionKind.TEXT, "dimension": m.Dimension.QUALITY},
        {"kind": m.QuestionKind.TEXT, "key": "same", "condition_key": "same"},
    ],
    ids=["unknown-kind", "complaint-on-nps", "dimension-on-text", "condition-on-itself"],
)
def test_question_rules(fields):
    refused(lambda: QuestionFactory(**fields))


def test_questionnaire_versions_unique_in_lineage():
    first = QuestionnaireFactory()
    refused(lambda: QuestionnaireFactory(lineage=first.lineage, version=1))
    QuestionnaireFactory(lineage=first.lineage, version=2)


# --- campaigns ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [
        {"sample_rate": 101},
        {"link_expiry_days": 0},
        {"daily_cap": 0},
        {"reminder_after_hours": 0},
        {"starts_at": timezone.now(), "ends_at": timezone.now() - timedelta(days=1)},
    ],
    ids=["sample>100", "expiry-0", "cap-0", "reminder-0", "window-reversed"],
)
def test_campaign_settings_refused_when_out_of_range(fields):
    refused(lambda: CampaignFactory(**fields))


# --- tickets -----------------------------------------------------------------------------
def test_ticket_unique_per_source_and_external_id():
    TicketFactory(source="acme", external_id="T-1")
    refused(lambda: TicketFactory(source="acme", external_id="T-1"))
    TicketFactory(source="other", external_id="T-1")


@pytest.mark.parametrize("field", ["first_response_at", "resolved_at", "closed_at"])
def test_ticket_timestamps_cannot_precede_opening(field):
    opened = timezone.now() - timedelta(days=1)
    refused(lambda: TicketFactory(opened_at=opened, **{field: opened - timedelta(minutes=1)}))


def test_closed_ticket_needs_closed_at_and_priority_must_be_known():
    refused(lambda: TicketFactory(status=m.TicketStatus.CLOSED, closed_at=None))
    refused(lambda: TicketFactory(priority="critical"))


def test_ticket_durations_derived_from_timestamps():
    opened = timezone.now() - timedelta(days=2)
    ticket = TicketFactory(
        opened_at=opened, first_response_at=opened + timedelta(minutes=30), resolved_at=opened + timedelta(hours=5)
    )
    ticket.refresh_from_db()
    assert (ticket.first_response_s, ticket.resolution_s) == (1800, 5 * 3600)
    ticket.first_response_at = opened + timedelta(minutes=10)
    ticket.save(update_fields=["first_response_at"])
    ticket.refresh_from_db()
    assert ticket.first_response_s == 600


def test_ticket_event_idempotent_on_source_and_event_id():
    def event(source="acme"):
        return m.TicketEvent.objects.create(
            source=source, event_id="evt_1", type=m.TicketEventType.CLOSED, occurred_at=timezone.now(), payload={}
        )

    event()
    refused(event)
    event(source="other")
    assert m.TicketEvent.objects.count() == 2


# --- invitations -------------------------------------------------------------------------
def test_invitation_unique_per_campaign_ticket_and_cycle():
    invitation = InvitationFactory(cycle=1)
    refused(lambda: InvitationFactory(campaign=invitation.campaign, ticket=invitation.ticket, cycle=1))
    InvitationFactory(campaign=invitation.campaign, ticket=invitation.ticket, cycle=2)


def test_invitation_tokens_unique_and_unguessable():
    a, b = InvitationFactory(), InvitationFactory()
    assert a.token != b.token and len(a.token) >= 32
    refused(lambda: InvitationFactory(token=a.token))


@pytest.mark.parametrize(
    "fields",
    [
        {"status": m.InvitationStatus.SUPPRESSED, "suppression_reason": "", "sent_at": None},
        {"status": m.InvitationStatus.SCHEDULED, "suppression_reason": m.SuppressionReason.OPTED_OUT},
        {"status": m.InvitationStatus.SENT, "sent_at": None},
        {"status": m.InvitationStatus.SENDING, "claimed_at": None},
        {"status": "lost"},
    ],
    ids=["suppressed-without-reason", "reason-without-suppression", "sent-without-time", "sending-unclaimed",
         "unknown-status"],
)
def test_invitation_status_rules(fields):
    refused(lambda: InvitationFactory(**fields))


# --- responses and answers ---------------------------------------------------------------
def test_one_response_per_invitation():
    response = ResponseFactory()
    refused(lambda: ResponseFactory(invitation=response.invitation))


@pytest.mark.parametrize(
    "fields",
    [{"nps_score": 11}, {"csat_score": 0}, {"csat_score": 6}, {"ces_score": 8}, {"ces_score": 0}],
)
def test_response_scores_in_range(fields):
    refused(lambda: ResponseFactory(**fields))


def test_complete_response_has_submitted_time_and_partial_has_none():
    refused(lambda: ResponseFactory(is_complete=True, submitted_at=None))
    refused(lambda: ResponseFactory(is_complete=False, submitted_at=timezone.now()))
    partial = ResponseFactory(is_complete=False, submitted_at=None, nps_score=9)
    assert not partial.is_complete


def test_one_answer_per_response_and_question():
    answer = AnswerFactory()
    refused(lambda: AnswerFactory(response=answer.response, question=answer.question))


@pytest.mark.parametrize(
    ("kind", "number", "ok"),
    [
        (m.QuestionKind.NPS, 0, True),
        (m.QuestionKind.NPS, 10, True),
        (m.QuestionKind.NPS, 11, False),
        (m.QuestionKind.NPS, -1, False),
        (m.QuestionKind.NPS, None, False),
        (m.QuestionKind.CSAT, 0, False),
        (m.QuestionKind.CSAT, 5, True),
        (m.QuestionKind.CES, 7, True),
        (m.QuestionKind.CES, 8, False),
        (m.QuestionKind.RATING, 6, False),
        (m.QuestionKind.YES_NO, 1, True),
        (m.QuestionKind.YES_NO, 2, False),
        (m.QuestionKind.TEXT, 3, False),
        (m.QuestionKind.SINGLE_CHOICE, 1, False),
    ],
)
def test_answer_score_range_per_kind(kind, number, ok):
    question = QuestionFactory(kind=kind)

    def make():
        return AnswerFactory(question=question, kind=kind, number=number)

    if ok:
        assert make().number == number
    else:
        refused(make)


def test_answer_text_length_capped():
    question = QuestionFactory(kind=m.QuestionKind.TEXT)
    refused(lambda: AnswerFactory(question=question, kind=question.kind, number=None, text="x" * (m.TEXT_ANSWER_MAX + 1)))


def test_followup_closed_state_matches_closed_time():
    response = ResponseFactory()

    def followup(**fields):
        return m.FollowUp.objects.create(
            response=response, ticket=response.invitation.ticket, reason=m.FollowUpReason.DETRACTOR, **fields
        )

    recovered = m.FollowUpOutcome.RECOVERED
    refused(lambda: followup(status=m.FollowUpStatus.CLOSED, outcome=recovered))
    refused(lambda: followup(status=m.FollowUpStatus.OPEN, closed_at=timezone.now()))
    followup(status=m.FollowUpStatus.CLOSED, closed_at=timezone.now(), outcome=recovered)
    refused(lambda: followup())  # one follow-up per response


def test_followup_closed_has_an_outcome_and_an_open_one_none():
    def followup(**fields):
        response = ResponseFactory()
        return m.FollowUp.objects.create(
            response=response, ticket=response.invitation.ticket, reason=m.FollowUpReason.DETRACTOR, **fields
        )

    refused(lambda: followup(status=m.FollowUpStatus.CLOSED, closed_at=timezone.now()))
    refused(lambda: followup(status=m.FollowUpStatus.CLOSED, closed_at=timezone.now(), outcome="lost"))
    refused(lambda: followup(status=m.FollowUpStatus.IN_PROGRESS, outcome=m.FollowUpOutcome.DECLINED))
    followup(status=m.FollowUpStatus.CLOSED, closed_at=timezone.now(), outcome=m.FollowUpOutcome.DECLINED)


def test_resurvey_invitation_may_repeat_campaign_ticket_and_cycle_once_per_case():
    first = ResponseFactory()
    case = m.FollowUp.objects.create(
        response=first, ticket=first.invitation.ticket, reason=m.FollowUpReason.DETRACTOR
    )
    original = first.invitation

    def again(**fields):
        return InvitationFactory(
            campaign=original.campaign, ticket=original.ticket, customer=original.customer,
            questionnaire=original.questionnaire, cycle=original.cycle, **fields
        )

    refused(lambda: again())  # a second ordinary invitation for the same cycle
    again(resurvey_of=case)
    refused(lambda: again(resurvey_of=case))  # one re-survey per case


# --- goals -------------------------------------------------------------------------------
def test_targets_and_alerts_refuse_nonsense():
    today = timezone.localdate()
    refused(lambda: m.Target.objects.create(metric="nps", value=30, period_start=today, period_end=today))
    refused(lambda: m.Target.objects.create(metric="happiness", value=30, period_start=today,
                                            period_end=today + timedelta(days=1)))
    refused(lambda: m.AlertRule.objects.create(name="x", metric="nps", comparison="lt", threshold=0,
                                               window_hours=0, recipients="a@example.org"))
    # A metric check names a metric other than the bare response count; built-in checks none;
    # every rule has somewhere to send.
    refused(lambda: m.AlertRule.objects.create(name="x", metric="", recipients="a@example.org"))
    refused(lambda: m.AlertRule.objects.create(name="x", metric="responses", recipients="a@example.org"))
    refused(lambda: m.AlertRule.objects.create(name="x", check_kind=m.AlertCheck.NO_RESPONSES, metric="nps",
                                               recipients="a@example.org"))
    refused(lambda: m.AlertRule.objects.create(name="x", metric="nps"))
    m.AlertRule.objects.create(name="x", check_kind=m.AlertCheck.NO_RESPONSES, webhook_urls="https://h.example/x")
    m.AlertRule.objects.create(name="y", metric="nps", recipients="a@example.org")
    refused(lambda: m.ImprovementAction.objects.create(title="x", goal="y", started_on=today,
                                                       due_on=today - timedelta(days=1)))
