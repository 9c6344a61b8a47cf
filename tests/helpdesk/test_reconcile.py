"""The sweep: every mapped field compared, change times from django-helpdesk's follow-ups."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from helpdesk.models import FollowUp
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.integrations.helpdesk.reconcile import helpdesk_tickets_reconcile
from surveys.models import TicketStatus

from .helpers import helpdesk_ticket, ours

pytestmark = [pytest.mark.django_db, pytest.mark.urls("surveys_project.urls_helpdesk")]
CLOSED = HelpdeskTicket.CLOSED_STATUS
HOOK = "surveys.integrations.helpdesk.signals.ticket_event_record"


def _survey_database_down():
    return mock.patch(HOOK, side_effect=OperationalError("survey tables locked"))


def test_a_missed_close_is_dated_by_its_follow_up_not_by_modified(queue, staff_client):
    ticket = helpdesk_ticket(queue)
    with _survey_database_down():
        staff_client.post("/helpdesk/tickets/update/", {"ticket_id": [ticket.pk], "action": "close_public"})
    closing = FollowUp.objects.get(ticket=ticket, new_status=CLOSED)
    # Something later touches the ticket without our hook (a script's QuerySet.update()).
    HelpdeskTicket.objects.filter(pk=ticket.pk).update(modified=timezone.now() + timedelta(minutes=5))
    assert ours(ticket).status == TicketStatus.OPEN

    assert helpdesk_tickets_reconcile() == 1
    copy = ours(ticket)
    assert (copy.status, copy.closed_at, copy.resolved_at) == (TicketStatus.CLOSED, closing.date, closing.date)
    assert helpdesk_tickets_reconcile() == 0


def test_a_close_without_any_follow_up_is_dated_when_found_not_by_a_stale_modified(queue):
    ticket = helpdesk_ticket(queue)
    long_ago = timezone.now() - timedelta(days=3)
    HelpdeskTicket.objects.filter(pk=ticket.pk).update(created=long_ago - timedelta(hours=1))
    ours(ticket).__class__.objects.filter(pk=ours(ticket).pk).update(
        opened_at=long_ago - timedelta(hours=1), last_event_at=long_ago - timedelta(hours=1))
    HelpdeskTicket.objects.filter(pk=ticket.pk).update(status=CLOSED, modified=long_ago)
    before = timezone.now()
    assert helpdesk_tickets_reconcile(hours=1) == 1
    copy = ours(ticket)
    assert copy.closed_at >= before
    assert copy.resolution_s >= 3 * 24 * 3600


def test_field_changes_made_by_queryset_update_are_caught(queue):
    from helpdesk.models import Queue

    other = Queue.objects.create(title="Refunds", slug="refunds", email_address="refunds@support.example")
    ticket = helpdesk_ticket(queue)
    HelpdeskTicket.objects.filter(pk=ticket.pk).update(title="Renamed", priority=1, queue=other)
    assert helpdesk_tickets_reconcile() == 1
    copy = ours(ticket)
    assert (copy.subject, copy.priority, copy.category, copy.reference) == (
        "Renamed", "urgent", "refunds", f"refunds-{ticket.pk}")
    assert helpdesk_tickets_reconcile() == 0


def test_a_missed_first_response_is_caught(queue, staff_user):
    ticket = helpdesk_ticket(queue)
    FollowUp.objects.create(ticket=ticket, public=False, user=staff_user, title="note")  # the first: the reply is not the opening one
    with _survey_database_down():
        reply = FollowUp.objects.create(ticket=ticket, public=True, user=staff_user, comment="On it")
    assert ours(ticket).first_response_at is None
    assert helpdesk_tickets_reconcile() == 1
    assert ours(ticket).first_response_at == reply.date


def test_tickets_merged_or_deleted_behind_the_hooks_back_are_removed(queue):
    merged, deleted, kept = (helpdesk_ticket(queue, n) for n in range(3))
    HelpdeskTicket.objects.filter(pk=merged.pk).update(
        status=HelpdeskTicket.DUPLICATE_STATUS, modified=timezone.now() - timedelta(days=5))
    with connection.cursor() as cursor:  # raw SQL: no signal at all
        cursor.execute(f"DELETE FROM helpdesk_followup WHERE ticket_id = {deleted.pk}")  # noqa: S608
        cursor.execute(f"DELETE FROM helpdesk_ticket WHERE id = {deleted.pk}")  # noqa: S608
    assert helpdesk_tickets_reconcile(hours=1) == 2
    assert (ours(merged).status, ours(deleted).status, ours(kept).status) == (
        TicketStatus.REMOVED, TicketStatus.REMOVED, TicketStatus.OPEN)
    assert helpdesk_tickets_reconcile(hours=1) == 0


def test_a_missed_title_change_is_dated_by_the_follow_up_that_recorded_it(queue, staff_client):
    from helpdesk.models import TicketChange

    from surveys.models import TicketEvent

    ticket = helpdesk_ticket(queue)
    with _survey_database_down():
        staff_client.post(f"/helpdesk/tickets/{ticket.pk}/update/", {
            "title": "Renamed by the form", "queue": queue.pk, "priority": "2", "new_status": ticket.status,
            "comment": "", "owner": 0,
        })
    change = TicketChange.objects.select_related("followup").get(followup__ticket=ticket)
    HelpdeskTicket.objects.filter(pk=ticket.pk).update(modified=timezone.now() + timedelta(minutes=5))
    assert helpdesk_tickets_reconcile() == 1
    assert ours(ticket).subject == "Renamed by the form"
    event = TicketEvent.objects.latest("pk")
    assert (event.type, event.occurred_at) == ("ticket.updated", change.followup.date)
