"""One customer with personal data in every place this product keeps it (docs/privacy.md)."""

from dataclasses import dataclass

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from surveys import models as m
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    CustomerFactory,
    QuestionFactory,
    ResponseFactory,
    TicketFactory,
    UserFactory,
)

EMAIL = "Wang.Fang@Example.cn"
NAME = "Wang Fang"
EXTERNAL_ID = "crm-4242"
SUBJECT = "Refund for order 88-1234 to Wang Fang"
COMMENT = "Call me on +86 138 0000 1111, this is Wang Fang"
NOTES = "Phoned Wang Fang at home"
SMTP_ERROR = "550 5.1.1 <wang.fang@example.cn>: mailbox unavailable"


def event_payload(event_id: str, ticket_id: str) -> dict:
    return {
        "event_id": event_id,
        "source": "test-helpdesk",
        "type": "ticket.closed",
        "occurred_at": "2026-11-24T10:00:00+00:00",
        "ticket": {
            "id": ticket_id,
            "subject": SUBJECT,
            "priority": "high",
            "category": "billing",
            "channel": "email",
            "opened_at": "2026-11-23T08:00:00+00:00",
            "closed_at": "2026-11-24T10:00:00+00:00",
            "description": "Free text the helpdesk added: Wang Fang's address is 1 Long Road",
            "agent": {"id": "a-7", "name": "Ann Agent", "email": "ann@support.example", "team": "Tier 1"},
            "customer": {
                "id": EXTERNAL_ID,
                "email": EMAIL,
                "name": NAME,
                "locale": "zh-hans",
                "segment": "enterprise",
            },
        },
    }


@dataclass
class Footprint:
    customer: m.Customer
    other: m.Customer
    ticket: m.Ticket
    invitation: m.Invitation
    response: m.Response
    comment: m.Answer
    followup: m.FollowUp
    applied_event: m.TicketEvent
    stray_event: m.TicketEvent


@pytest.fixture
def footprint(db) -> Footprint:
    """The customer, a closed ticket, an answered survey (NPS 2 and a comment), a follow-up with
    notes, a failed reminder's SMTP error, the event that carried the ticket in, a refused event
    naming them that never reached a ticket, and an admin log entry quoting their address; plus
    another customer whose data must stay."""
    customer = CustomerFactory(email=EMAIL.lower(), name=NAME, external_id=EXTERNAL_ID, segment="enterprise")
    other = CustomerFactory(email="keep@example.org", name="Kept Customer")
    ticket = TicketFactory(customer=customer, subject=SUBJECT, external_id="T-77")
    campaign = CampaignFactory()
    nps = QuestionFactory(questionnaire=campaign.questionnaire, key="nps", kind=m.QuestionKind.NPS, order=1)
    text = QuestionFactory(questionnaire=campaign.questionnaire, key="comment", kind=m.QuestionKind.TEXT, order=2)
    response = ResponseFactory(
        invitation__ticket=ticket,
        invitation__campaign=campaign,
        invitation__last_error=SMTP_ERROR,
        nps_score=2,
        is_complaint=True,
    )
    AnswerFactory(response=response, question=nps, number=2)
    comment = AnswerFactory(response=response, question=text, number=None, text=COMMENT)
    followup = m.FollowUp.objects.create(
        response=response, ticket=ticket, reason=m.FollowUpReason.DETRACTOR, notes=NOTES
    )
    applied = m.TicketEvent.objects.create(
        source="test-helpdesk",
        event_id="evt-1",
        type=m.TicketEventType.CLOSED,
        occurred_at=ticket.closed_at,
        ticket=ticket,
        payload=event_payload("evt-1", "T-77"),
    )
    stray = m.TicketEvent.objects.create(
        source="test-helpdesk",
        event_id="evt-2",
        type=m.TicketEventType.CLOSED,
        occurred_at=ticket.closed_at,
        ticket=None,
        payload=event_payload("evt-2", "T-78"),
    )
    LogEntry.objects.log_actions(
        user_id=UserFactory(username="clerk").pk,
        queryset=[customer],
        action_flag=CHANGE,
        change_message=f"Changed email to {EMAIL}",
        single_object=True,
    )
    other_ticket = TicketFactory(customer=other, subject="Other subject stays")
    ResponseFactory(invitation__ticket=other_ticket, invitation__campaign=campaign, nps_score=9)
    return Footprint(
        customer=customer,
        other=other,
        ticket=ticket,
        invitation=response.invitation,
        response=response,
        comment=comment,
        followup=followup,
        applied_event=applied,
        stray_event=stray,
    )


def customer_log_entries(customer):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(m.Customer), object_id=str(customer.pk)
    )


def mentions_customer(text: str) -> bool:
    lowered = str(text).lower()
    return any(
        needle.lower() in lowered
        for needle in (EMAIL, NAME, EXTERNAL_ID, SUBJECT, COMMENT, NOTES, "wang.fang", "1 Long Road")
    )
