"""Deleted, merged and staff-filed tickets; who the customer, team and agent are; the ticket's
django-helpdesk reference in the survey email."""

from datetime import timedelta

import pytest
from django.utils import timezone
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.emails import invitation_email_render
from surveys.models import Invitation, InvitationStatus, SuppressionReason, TicketStatus
from surveys.reports.filters import filters_parse
from tests.factories import CampaignFactory, UserFactory

from .helpers import helpdesk_ticket, ours

pytestmark = [pytest.mark.django_db, pytest.mark.urls("surveys_project.urls_helpdesk")]
CLOSED = HelpdeskTicket.CLOSED_STATUS


def _close(ticket):
    ticket.status = CLOSED
    ticket.save()


def _period_tickets():
    today = timezone.localdate()
    return filters_parse({"start": (today - timedelta(days=1)).isoformat(),
                          "end": (today + timedelta(days=2)).isoformat()}).tickets()


def test_deleting_a_closed_ticket_cancels_its_survey_and_leaves_the_figures(queue, staff_client):
    CampaignFactory(delay_minutes=60, throttle_days=0)
    ticket = helpdesk_ticket(queue)
    _close(ticket)
    copy = ours(ticket)
    assert list(_period_tickets()) == [copy]

    response = staff_client.post(f"/helpdesk/tickets/{ticket.pk}/delete/")
    assert response.status_code == 302
    copy.refresh_from_db()
    assert (copy.status, copy.closed_at, copy.resolved_at) == (TicketStatus.REMOVED, None, None)
    assert Invitation.objects.get().status == InvitationStatus.CANCELLED
    assert list(_period_tickets()) == []


def test_bulk_delete_removes_open_copies(queue, staff_client):
    tickets = [helpdesk_ticket(queue, n) for n in range(2)]
    staff_client.post("/helpdesk/tickets/update/", {"ticket_id": [t.pk for t in tickets], "action": "delete"})
    assert {ours(t).status for t in tickets} == {TicketStatus.REMOVED}


def test_a_merged_duplicate_leaves_resolution_figures(queue, staff_client):
    main, other = helpdesk_ticket(queue, 1), helpdesk_ticket(queue, 2)
    _close(other)
    assert ours(other) in _period_tickets()
    staff_client.post(f"/helpdesk/tickets/merge?tickets={main.pk}&tickets={other.pk}", {"chosen_ticket": main.pk})
    assert ours(other).status == TicketStatus.REMOVED
    assert ours(other) not in _period_tickets()


def test_a_submitter_address_of_a_staff_member_is_never_surveyed(queue, campaign, staff_user):
    staff_user.email = "sam@support.example"
    staff_user.save()
    ticket = helpdesk_ticket(queue, submitter_email="SAM@support.example")  # django-helpdesk's pre-fill
    _close(ticket)
    copy = ours(ticket)
    assert copy.customer.email is None
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.suppression_reason) == (
        InvitationStatus.SUPPRESSED, SuppressionReason.NO_EMAIL)


def test_customer_name_comes_from_the_submitters_account(queue):
    UserFactory(username="ann", first_name="Ann", last_name="Lee", email="ann@example.org", is_staff=False)
    ticket = helpdesk_ticket(queue, submitter_email="ann@example.org")
    assert ours(ticket).customer.name == "Ann Lee"


def test_team_is_the_queue_title_or_the_mapping_setting(queue, settings):
    agent = UserFactory(username="li")
    assert ours(helpdesk_ticket(queue, 1, assigned_to=agent)).team.name == "Billing"
    settings.HELPDESK_QUEUE_TEAMS = {"billing": "Accounts receivable"}
    assert ours(helpdesk_ticket(queue, 2, assigned_to=agent)).team.name == "Accounts receivable"


def test_the_assignee_login_becomes_the_agents_user_once(queue):
    li = UserFactory(username="li")
    first = helpdesk_ticket(queue, 1, assigned_to=li)
    helpdesk_ticket(queue, 2, assigned_to=li)
    assert ours(first).agent.user == li


def test_the_survey_email_cites_django_helpdesks_reference(queue, campaign):
    ticket = helpdesk_ticket(queue)
    _close(ticket)
    invitation = Invitation.objects.get()
    assert ours(ticket).reference == f"billing-{ticket.pk}"
    email = invitation_email_render(invitation=invitation)
    assert f"(billing-{ticket.pk})" in email["text"]


