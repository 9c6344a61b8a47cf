"""Erasure removes the customer's personal data from every place docs/privacy.md lists (one
test per place) and keeps every count and score."""

import csv
import io

import pytest
from django.urls import reverse

from surveys import models as m
from surveys.services.customers import customer_erase, customers_erase
from surveys.services.privacy import payload_redact
from tests.privacy.conftest import (
    COMMENT,
    EMAIL,
    EXTERNAL_ID,
    NOTES,
    SUBJECT,
    customer_log_entries,
    event_payload,
    mentions_customer,
)

pytestmark = pytest.mark.django_db


def erase(footprint):
    customer_erase(customer=footprint.customer)


def test_customer_row_loses_email_name_and_external_id(footprint):
    erase(footprint)

    customer = m.Customer.objects.get(pk=footprint.customer.pk)
    assert (customer.email, customer.name, customer.external_id) == (None, "", "")
    assert customer.erased_at is not None
    assert customer.segment == "enterprise"  # a reporting dimension, not a person


def test_ticket_subject_is_blanked(footprint):
    erase(footprint)

    assert m.Ticket.objects.get(pk=footprint.ticket.pk).subject == ""
    assert m.Ticket.objects.get(customer=footprint.other).subject == "Other subject stays"


def test_free_text_answers_are_blanked_and_scores_kept(footprint):
    erase(footprint)

    answers = {a.question.key: a for a in m.Answer.objects.filter(response=footprint.response)}
    assert answers["comment"].text == ""
    assert answers["nps"].number == 2
    response = m.Response.objects.get(pk=footprint.response.pk)
    assert (response.nps_score, response.is_complaint, response.is_complete) == (2, True, True)


def test_payload_of_events_applied_to_their_tickets_is_redacted(footprint):
    erase(footprint)

    payload = m.TicketEvent.objects.get(pk=footprint.applied_event.pk).payload
    assert not mentions_customer(payload)
    assert "ann@support.example" not in str(payload)  # the agent's email goes too
    assert m.TicketEvent.objects.get(pk=footprint.applied_event.pk).redacted_at is not None
    assert payload["ticket"]["id"] == "T-77"
    assert payload["ticket"]["customer"] == {"locale": "zh-hans", "segment": "enterprise"}
    assert payload["ticket"]["closed_at"] == "2026-11-24T10:00:00+00:00"


def test_payload_of_events_naming_them_that_never_reached_a_ticket_is_redacted(footprint):
    untouched = m.TicketEvent.objects.create(
        source="test-helpdesk",
        event_id="evt-3",
        type=m.TicketEventType.CLOSED,
        occurred_at=footprint.ticket.closed_at,
        payload={**event_payload("evt-3", "T-79"), "ticket": {"id": "T-79", "customer": {"email": "x@y.org"}}},
    )

    erase(footprint)

    assert not mentions_customer(m.TicketEvent.objects.get(pk=footprint.stray_event.pk).payload)
    assert m.TicketEvent.objects.get(pk=untouched.pk).payload == untouched.payload


def test_events_naming_them_by_numeric_helpdesk_id_are_redacted(footprint):
    footprint.customer.external_id = "4242"
    footprint.customer.save()
    payload = event_payload("evt-4", "T-80")
    payload["ticket"]["customer"] = {"id": 4242, "name": "Wang Fang"}
    event = m.TicketEvent.objects.create(
        source="test-helpdesk",
        event_id="evt-4",
        type=m.TicketEventType.CLOSED,
        occurred_at=footprint.ticket.closed_at,
        payload=payload,
    )

    erase(footprint)

    assert not mentions_customer(m.TicketEvent.objects.get(pk=event.pk).payload)


def test_follow_up_notes_are_blanked(footprint):
    erase(footprint)

    followup = m.FollowUp.objects.get(pk=footprint.followup.pk)
    assert followup.notes == ""
    assert followup.reason == m.FollowUpReason.DETRACTOR


def test_invitation_error_messages_are_replaced(footprint):
    erase(footprint)

    invitation = m.Invitation.objects.get(pk=footprint.invitation.pk)
    assert invitation.last_error == "customer erased"
    assert invitation.status == m.InvitationStatus.ANSWERED


def test_admin_log_entries_about_them_lose_the_address(footprint):
    assert mentions_customer(customer_log_entries(footprint.customer).get().object_repr)

    erase(footprint)

    entry = customer_log_entries(footprint.customer).get()
    assert not mentions_customer(entry.object_repr) and not mentions_customer(entry.change_message)
    assert entry.object_repr == f"erased customer #{footprint.customer.pk}"


def test_every_count_and_score_is_kept(footprint):
    def counts():
        return {
            model.__name__: model.objects.count()
            for model in (m.Customer, m.Ticket, m.Invitation, m.Response, m.Answer, m.FollowUp, m.TicketEvent)
        } | {"scores": sorted(m.Response.objects.values_list("nps_score", flat=True))}

    before = counts()
    erase(footprint)

    assert counts() == before


@pytest.mark.parametrize(
    ("model", "term"),
    [("customer", EMAIL), ("customer", EXTERNAL_ID), ("ticket", SUBJECT[:20]), ("response", EMAIL), ("followup", NOTES)],
)
def test_admin_search_no_longer_finds_them(admin_client, footprint, model, term):
    url = reverse(f"admin:surveys_{model}_changelist")

    def found() -> int:
        return admin_client.get(url, {"q": term}).context["cl"].result_count

    assert found() == 1
    erase(footprint)
    assert found() == 0


def test_dashboard_verbatims_no_longer_show_their_comment(manager_client, footprint):
    assert COMMENT in manager_client.get(reverse("surveys:reports")).content.decode()

    erase(footprint)

    assert COMMENT not in manager_client.get(reverse("surveys:reports")).content.decode()


def test_responses_csv_no_longer_holds_their_comment(manager_client, footprint):
    url = reverse("surveys:reports_export", args=["responses", "csv"])

    def cells() -> list[str]:
        body = b"".join(manager_client.get(url).streaming_content).decode()
        return [cell for row in csv.reader(io.StringIO(body)) for cell in row]

    assert COMMENT in cells()
    erase(footprint)
    after = cells()
    assert COMMENT not in after
    assert not any(mentions_customer(cell) for cell in after)


def test_thanks_page_no_longer_shows_their_comment(client, footprint):
    url = reverse("surveys:survey", args=[footprint.invitation.token])
    assert COMMENT in client.get(url).content.decode()

    erase(footprint)

    page = client.get(url)
    assert page.status_code == 200
    assert COMMENT not in page.content.decode()


def test_export_log_holds_filters_only(manager_client, footprint):
    url = reverse("surveys:reports_export", args=["responses", "csv"])
    b"".join(manager_client.get(url, {"segment": "enterprise"}).streaming_content)

    record = m.DataExport.objects.get()
    assert not mentions_customer(record.filters)
    assert set(record.filters) <= {
        "start", "end", "campaign", "team", "agent", "category", "priority", "channel", "segment", "band"
    }


def test_erasing_twice_changes_nothing_more_and_keeps_the_first_time(footprint):
    first = customer_erase(customer=footprint.customer).erased_at

    assert customer_erase(customer=footprint.customer).erased_at == first


def test_erase_by_email_matches_any_case_and_counts(footprint):
    result = customers_erase(email=EMAIL.upper())
    again = customers_erase(email=EMAIL)

    assert (result.matched, result.erased) == (1, 1)
    assert (again.matched, again.erased) == (0, 0)
    assert m.Customer.objects.get(pk=footprint.other.pk).email == "keep@example.org"


def test_erase_by_external_id(footprint):
    result = customers_erase(external_id=EXTERNAL_ID)

    assert (result.matched, result.erased) == (1, 1)
    assert m.Customer.objects.get(pk=footprint.customer.pk).erased_at is not None


def test_payload_redaction_keeps_an_allow_list_only():
    payload = event_payload("evt-9", "T-9")
    payload["extra"] = {"phone": "+86 138"}

    redacted = payload_redact(payload)

    assert set(redacted) == {"event_id", "source", "type", "occurred_at", "ticket"}
    assert "description" not in redacted["ticket"] and "subject" not in redacted["ticket"]
    assert redacted["ticket"]["agent"] == {"id": "a-7", "team": "Tier 1"}
    assert payload_redact(redacted) == redacted
    assert payload_redact("not a dict") == {}


def test_a_payload_that_calls_itself_redacted_is_redacted_all_the_same(footprint):
    m.TicketEvent.objects.filter(pk=footprint.applied_event.pk).update(
        payload={**event_payload("evt-1", "T-77"), "redacted": True}
    )

    erase(footprint)

    assert not mentions_customer(m.TicketEvent.objects.get(pk=footprint.applied_event.pk).payload)


def test_scanner_click_evidence_is_cleared_and_verdicts_kept(footprint):
    from django.utils import timezone

    from tests.factories import QuestionFactory

    question = QuestionFactory(questionnaire=footprint.invitation.campaign.questionnaire, kind=m.QuestionKind.NPS)
    now = timezone.now()
    click = m.ScoreClick.objects.create(
        invitation=footprint.invitation, question=question, score=2, source="link", clicked_at=now,
        provisional_until=now, verdict="set_aside", reason="signature",
        user_agent="Mozilla/5.0 HeadlessChrome/156", network="203.0.113.0/24",
    )

    erase(footprint)

    click.refresh_from_db()
    assert (click.user_agent, click.network) == ("", "")
    assert (click.verdict, click.reason, click.score) == ("set_aside", "signature", 2)


def test_follow_up_emails_are_blanked(footprint):
    email = m.FollowUpEmail.objects.create(
        followup=footprint.followup,
        to_email=footprint.customer.email,
        reply_to="owner@example.com",
        subject=f"About {SUBJECT}",
        body=f"Dear customer, {NOTES}",
    )

    erase(footprint)

    email.refresh_from_db()
    assert (email.to_email, email.subject, email.body) == ("", "", "")
    assert email.reply_to == "owner@example.com" and email.sent_at is not None
