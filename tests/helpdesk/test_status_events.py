"""The django-helpdesk integration, against the real package and its real views."""

import json
from unittest import mock

import pytest
from django.db import OperationalError
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.integrations.helpdesk.events import event_type_for
from surveys.integrations.helpdesk.reconcile import helpdesk_tickets_reconcile
from surveys.models import (
    Invitation,
    InvitationStatus,
    SuppressionReason,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tests.factories import CampaignFactory, UserFactory

from .helpers import helpdesk_ticket, ours

pytestmark = [pytest.mark.django_db, pytest.mark.urls("surveys_project.urls_helpdesk")]

OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE = (
    HelpdeskTicket.OPEN_STATUS,
    HelpdeskTicket.REOPENED_STATUS,
    HelpdeskTicket.RESOLVED_STATUS,
    HelpdeskTicket.CLOSED_STATUS,
    HelpdeskTicket.DUPLICATE_STATUS,
)


def test_new_helpdesk_ticket_is_recorded_open(queue):
    agent = UserFactory(username="li", first_name="Li", last_name="Na")
    ticket = helpdesk_ticket(queue, assigned_to=agent)
    copy = ours(ticket)
    assert (copy.status, copy.priority, copy.category, copy.subject) == (
        TicketStatus.OPEN, "high", "billing", "Cannot pay invoice 1")
    assert copy.customer.email == "customer1@example.org"
    assert (copy.agent.name, copy.agent.external_id) == ("Li Na", f"hd-user-{agent.pk}")


def test_closing_through_save_records_a_close_and_invites(queue, campaign):
    ticket = helpdesk_ticket(queue)
    ticket.status = CLOSED
    ticket.save()
    copy = ours(ticket)
    assert copy.status == TicketStatus.CLOSED
    assert copy.closed_at == ticket.modified
    assert Invitation.objects.get().ticket == copy


def test_a_save_that_changes_no_mapped_field_records_nothing(queue):
    ticket = helpdesk_ticket(queue)
    ticket.description = "More detail"
    ticket.save()
    assert TicketEvent.objects.count() == 1


def test_bulk_close_with_email_closes_and_invites_every_selected_ticket(queue, campaign, staff_client):
    tickets = [helpdesk_ticket(queue, n) for n in range(3)]
    response = staff_client.post(
        "/helpdesk/tickets/update/", {"ticket_id": [t.pk for t in tickets], "action": "close_public"}
    )
    assert response.status_code == 302
    assert {ours(t).status for t in tickets} == {TicketStatus.CLOSED}
    assert Invitation.objects.filter(status=InvitationStatus.SCHEDULED).count() == 3


def test_bulk_close_without_email_closes_and_suppresses_with_the_reason(queue, campaign, staff_client):
    tickets = [helpdesk_ticket(queue, n) for n in range(2)]
    response = staff_client.post(
        "/helpdesk/tickets/update/", {"ticket_id": [t.pk for t in tickets], "action": "close"}
    )
    assert response.status_code == 302
    assert {ours(t).status for t in tickets} == {TicketStatus.CLOSED}
    assert set(Invitation.objects.values_list("status", "suppression_reason")) == {
        (InvitationStatus.SUPPRESSED, SuppressionReason.NOT_CONTACTED)
    }
    assert Invitation.objects.count() == 2


def test_kanban_drag_to_closed_is_recorded(queue, campaign, staff_client):
    ticket = helpdesk_ticket(queue)
    response = staff_client.post(
        f"/helpdesk/tickets/{ticket.pk}/kanban-update/", json.dumps({"status": CLOSED}),
        content_type="application/json",
    )
    assert response.json()["status"] == "ok"
    assert ours(ticket).status == TicketStatus.CLOSED
    assert Invitation.objects.count() == 1


def test_merged_duplicate_is_removed_without_a_survey(queue, campaign, staff_client):
    main, other = helpdesk_ticket(queue, 1), helpdesk_ticket(queue, 2)
    response = staff_client.post(
        f"/helpdesk/tickets/merge?tickets={main.pk}&tickets={other.pk}", {"chosen_ticket": main.pk}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == DUPLICATE
    assert (ours(other).status, ours(other).closed_at, ours(other).resolved_at) == (
        TicketStatus.REMOVED, None, None)
    assert ours(main).status == TicketStatus.OPEN
    assert Invitation.objects.count() == 0


def test_resolve_then_reopen_then_close_is_two_cycles(queue, campaign):
    CampaignFactory(delay_minutes=60 * 24, throttle_days=0)
    ticket = helpdesk_ticket(queue)
    for status in (RESOLVED, CLOSED, REOPENED):
        ticket.status = status
        ticket.save()
    copy = ours(ticket)
    assert (copy.status, copy.cycle, copy.reopen_count) == (TicketStatus.OPEN, 2, 1)
    # One survey per cycle: the first campaign's had not gone out yet (no worker here) and is
    # cancelled by the reopen; the second's was suppressed ("another campaign") and stays so.
    assert sorted(Invitation.objects.values_list("status", flat=True)) == [
        InvitationStatus.CANCELLED, InvitationStatus.SUPPRESSED]
    ticket.status = CLOSED
    ticket.save()
    assert Invitation.objects.filter(cycle=2).count() == 2


def test_queryset_update_is_missed_by_the_hook_and_caught_by_reconcile(queue, campaign):
    tickets = [helpdesk_ticket(queue, n) for n in range(2)]
    HelpdeskTicket.objects.filter(pk=tickets[0].pk).update(status=CLOSED)
    assert ours(tickets[0]).status == TicketStatus.OPEN

    assert helpdesk_tickets_reconcile() == 1
    assert ours(tickets[0]).status == TicketStatus.CLOSED
    assert ours(tickets[1]).status == TicketStatus.OPEN
    assert Invitation.objects.count() == 1
    assert helpdesk_tickets_reconcile() == 0  # idempotent


def test_reconcile_records_tickets_the_hook_never_saw(queue):
    ticket = helpdesk_ticket(queue)
    TicketEvent.objects.all().delete()
    Ticket.objects.filter(pk=ours(ticket).pk).delete()
    assert helpdesk_tickets_reconcile() == 1
    assert ours(ticket).status == TicketStatus.OPEN


def test_a_failing_survey_database_never_breaks_the_helpdesk_save(queue, caplog):
    ticket = helpdesk_ticket(queue)
    with mock.patch("surveys.integrations.helpdesk.signals.ticket_event_record",
                    side_effect=OperationalError("survey tables locked")):
        ticket.status = CLOSED
        ticket.save()
    ticket.refresh_from_db()
    assert ticket.status == CLOSED
    assert "reconcile will retry" in caplog.text
    assert helpdesk_tickets_reconcile() == 1
    assert ours(ticket).status == TicketStatus.CLOSED


def test_ticket_without_submitter_email_is_recorded_and_suppressed(queue, campaign):
    ticket = helpdesk_ticket(queue, submitter_email=None)
    ticket.status = CLOSED
    ticket.save()
    assert Invitation.objects.get().suppression_reason == "no_email"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, OPEN, "ticket.opened"),
        (None, CLOSED, "ticket.closed"),
        (OPEN, RESOLVED, "ticket.updated"),
        (RESOLVED, CLOSED, "ticket.closed"),
        (CLOSED, DUPLICATE, None),
        (OPEN, DUPLICATE, None),
        (CLOSED, REOPENED, "ticket.reopened"),
        (RESOLVED, OPEN, "ticket.reopened"),
        (OPEN, OPEN, None),
    ],
)
def test_status_changes_map_to_events(old, new, expected):
    assert event_type_for(old, new) == expected


def test_reconcile_command_and_beat_task(queue):
    from io import StringIO

    from django.core.management import call_command

    from surveys.integrations.helpdesk.tasks import helpdesk_reconcile

    tickets = [helpdesk_ticket(queue, n) for n in range(2)]
    HelpdeskTicket.objects.filter(pk=tickets[0].pk).update(status=CLOSED)
    out = StringIO()
    call_command("helpdesk_reconcile", "--hours", "1", stdout=out)
    assert out.getvalue().strip() == "1 missed ticket events recorded"
    HelpdeskTicket.objects.filter(pk=tickets[1].pk).update(status=RESOLVED)
    assert helpdesk_reconcile() == 1
    assert ours(tickets[1]).status == TicketStatus.RESOLVED


def test_reconcile_finds_old_tickets_closed_with_queryset_update(queue):
    from datetime import timedelta

    from django.utils import timezone

    ticket = helpdesk_ticket(queue)
    long_ago = timezone.now() - timedelta(days=30)
    HelpdeskTicket.objects.filter(pk=ticket.pk).update(status=CLOSED, modified=long_ago)
    assert helpdesk_tickets_reconcile(hours=1) == 1
    assert ours(ticket).status == TicketStatus.CLOSED


def test_tickets_loaded_with_deferred_fields_cost_no_query_and_are_left_to_the_sweep(
    queue, django_assert_num_queries
):
    ticket = helpdesk_ticket(queue)
    with django_assert_num_queries(1):
        listed = list(HelpdeskTicket.objects.only("id", "title"))
    partial = listed[0]
    partial.title = "Renamed in a list view"
    partial.save(update_fields=["title"])
    assert ours(ticket).subject == "Cannot pay invoice 1"
    assert helpdesk_tickets_reconcile() == 1
    assert ours(ticket).subject == "Renamed in a list view"
