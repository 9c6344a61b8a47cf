"""django-helpdesk's own forms, posted as its staff UI posts them, and what our copy makes of
each submit: first response, changes saved in the same submit as a close, priorities."""

import pytest
from helpdesk.models import FollowUp
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.models import Invitation, TicketEvent, TicketEventType, TicketStatus
from tests.factories import UserFactory

from .helpers import helpdesk_ticket, ours

pytestmark = [pytest.mark.django_db, pytest.mark.urls("surveys_project.urls_helpdesk")]


def create_by_form(client, queue, **fields) -> HelpdeskTicket:
    data = {
        "queue": queue.pk,
        "title": "Invoice shows the wrong VAT",
        "body": "Customer called about invoice 77.",
        "priority": "3",
        "submitter_email": "ann@example.org",
        **fields,
    }
    response = client.post("/helpdesk/tickets/submit/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    return HelpdeskTicket.objects.latest("pk")


def update_by_form(client, ticket: HelpdeskTicket, **fields) -> None:
    """The ticket page's update form: every field posted, as the browser does."""
    ticket.refresh_from_db()
    data = {
        "title": ticket.title,
        "queue": ticket.queue_id,
        "priority": str(ticket.priority),
        "new_status": ticket.status,
        "comment": "",
        "owner": ticket.assigned_to_id or 0,
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post(f"/helpdesk/tickets/{ticket.pk}/update/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors


def test_staff_created_ticket_has_no_first_response_until_a_public_staff_reply(queue, staff_client):
    ticket = create_by_form(staff_client, queue)
    opening = FollowUp.objects.get(ticket=ticket)
    assert (opening.public, opening.user.username) == (True, "helpdesk-staff")  # the form's own
    assert ours(ticket).first_response_at is None

    update_by_form(staff_client, ticket, comment="We are looking into it.", public="1")
    reply = FollowUp.objects.filter(ticket=ticket).latest("pk")
    copy = ours(ticket)
    assert copy.first_response_at == reply.date
    assert copy.first_response_s == int((reply.date - copy.opened_at).total_seconds())


def test_private_notes_and_non_staff_follow_ups_are_no_response(queue, staff_client):
    ticket = create_by_form(staff_client, queue)
    update_by_form(staff_client, ticket, comment="Internal: check the ledger.")  # not public
    customer = UserFactory(username="ann", email="ann@example.org", is_staff=False)
    FollowUp.objects.create(ticket=ticket, public=True, user=customer, comment="Any news?")
    FollowUp.objects.create(ticket=ticket, public=True, user=None, comment="E-mail from ann")
    assert ours(ticket).first_response_at is None


def test_a_follow_up_by_the_submitter_is_no_response_even_from_staff(queue, staff_client, staff_user):
    # A staff member who filed a ticket for themselves, then commented on it.
    staff_user.email = "sam@support.example"
    staff_user.save()
    ticket = helpdesk_ticket(queue, submitter_email="Sam@Support.example")
    FollowUp.objects.create(ticket=ticket, public=True, user=staff_user, comment="Still broken")
    assert ours(ticket).first_response_at is None


def test_form_priorities_arrive_as_strings_and_map(queue, staff_client):
    ticket = create_by_form(staff_client, queue, priority="1")
    assert ours(ticket).priority == "urgent"
    update_by_form(staff_client, ticket, priority="4")
    assert ours(ticket).priority == "low"


def test_close_with_title_priority_and_queue_changed_in_the_same_submit(queue, campaign, staff_client):
    from helpdesk.models import Queue

    other = Queue.objects.create(title="Refunds", slug="refunds", email_address="refunds@support.example")
    ticket = create_by_form(staff_client, queue)
    update_by_form(
        staff_client, ticket, new_status=HelpdeskTicket.CLOSED_STATUS, title="VAT fixed on invoice 77",
        priority="2", queue=other.pk, comment="Corrected and re-sent.", public="1",
    )
    ticket.refresh_from_db()
    copy = ours(ticket)
    assert (copy.status, copy.subject, copy.priority, copy.category, copy.reference) == (
        TicketStatus.CLOSED, "VAT fixed on invoice 77", "high", "refunds", f"refunds-{ticket.pk}")
    types = list(TicketEvent.objects.order_by("occurred_at", "pk").values_list("type", flat=True))
    # opened; closed (django-helpdesk saves the status first); then the other fields.
    assert types[:2] == [TicketEventType.OPENED, TicketEventType.CLOSED]
    assert TicketEventType.UPDATED in types[2:]
    closing = FollowUp.objects.get(ticket=ticket, new_status=HelpdeskTicket.CLOSED_STATUS)
    # Closed when the status was saved: a moment after django-helpdesk dated its follow-up.
    assert copy.opened_at <= copy.closed_at <= ticket.modified
    assert abs(copy.closed_at - closing.date).total_seconds() < 1
    assert copy.first_response_at == closing.date  # the public reply that closed it
    invitation = Invitation.objects.get()
    assert (invitation.ticket, invitation.status) == (copy, "scheduled")


def test_reassigning_by_form_moves_the_agent_and_links_the_login(queue, staff_client):
    agent_user = UserFactory(username="li", first_name="Li", last_name="Na", is_staff=True)
    ticket = create_by_form(staff_client, queue)
    update_by_form(staff_client, ticket, owner=agent_user.pk)
    agent = ours(ticket).agent
    assert (agent.name, agent.user, agent.team.name) == ("Li Na", agent_user, "Billing")
