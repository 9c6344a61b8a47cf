"""django-helpdesk's own UI, driven in Chromium by a plain staff member (in none of the product's
groups), with the product in the same project: its ticket list works, and each way of closing a
ticket makes the right events, times, fields and invitations here."""

import pytest
from django.utils import timezone
from helpdesk.models import FollowUp, Queue
from helpdesk.models import Ticket as HelpdeskTicket
from playwright.sync_api import expect

from surveys.models import (
    Invitation,
    InvitationStatus,
    SuppressionReason,
    Ticket,
    TicketEvent,
    TicketEventType,
    TicketStatus,
)
from tests.factories import CampaignFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("surveys_project.urls_helpdesk"),
]


@pytest.fixture
def desk(page, live_server):
    """A queue, a campaign that waits an hour (nothing is sent here), and a logged-in plain
    staff member. Every browser dialog (DataTables reports Ajax errors with alert()) is kept."""
    queue = Queue.objects.create(title="Billing", slug="billing", email_address="billing@support.example")
    CampaignFactory(delay_minutes=60, throttle_days=0)
    UserFactory(username="sam", first_name="Sam", email="sam@support.example", is_staff=True)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/helpdesk/tickets/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    return {"queue": queue, "dialogs": dialogs, "url": live_server.url}


def ours(ticket) -> Ticket:
    return Ticket.objects.get(source="django-helpdesk", external_id=str(ticket.pk))


def test_plain_staff_member_sees_the_ticket_list(page, desk):
    HelpdeskTicket.objects.create(title="Printer on fire", queue=desk["queue"], submitter_email="a@example.org")
    page.goto(f"{desk['url']}/helpdesk/tickets/")
    expect(page.locator("#ticketTable tbody")).to_contain_text("Printer on fire")
    assert desk["dialogs"] == []


def test_create_reply_then_close_by_the_update_form_with_title_and_priority(page, desk):
    page.goto(f"{desk['url']}/helpdesk/tickets/submit/")
    page.fill("#id_title", "Invoice shows the wrong VAT")
    page.fill("#id_body", "Customer called about invoice 77.")
    page.select_option("#id_priority", "3")
    page.fill("#id_submitter_email", "ann@example.org")
    page.click("button[type=submit]:has-text('Submit Ticket')")
    page.wait_for_url("**/helpdesk/tickets/*/")
    ticket = HelpdeskTicket.objects.get()
    copy = ours(ticket)
    assert (copy.status, copy.priority, copy.reference, copy.first_response_at) == (
        TicketStatus.OPEN, "normal", f"billing-{ticket.pk}", None)  # the form's own follow-up is no reply

    page.click("#respond-tab")
    page.fill("#commentBox", "We are looking into it.")
    page.click("#ticket-respond-form button[type=submit]")
    page.wait_for_url(f"**/helpdesk/tickets/{ticket.pk}/")
    reply = FollowUp.objects.get(ticket=ticket, comment="We are looking into it.")
    copy.refresh_from_db()
    assert reply.public and copy.first_response_at == reply.date > copy.opened_at

    page.click("#respond-tab")
    page.fill("#commentBox", "Corrected and re-sent.")
    page.check("#st_closed")
    page.click("a[href='#collapseDetails']")
    page.fill("#collapseDetails input[name=title]", "VAT fixed on invoice 77")
    page.select_option("#id_priority", "1")
    before_close = timezone.now()
    page.click("#ticket-respond-form button[type=submit]")
    page.wait_for_url(f"**/helpdesk/tickets/{ticket.pk}/")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.title, ticket.priority) == (HelpdeskTicket.CLOSED_STATUS, "VAT fixed on invoice 77", 1)
    copy.refresh_from_db()
    assert (copy.status, copy.subject, copy.priority) == (TicketStatus.CLOSED, "VAT fixed on invoice 77", "urgent")
    assert before_close <= copy.closed_at <= ticket.modified
    assert copy.resolved_at == copy.closed_at
    assert copy.first_response_at == reply.date  # kept: the closing reply is not the first
    types = list(TicketEvent.objects.order_by("occurred_at", "pk").values_list("type", flat=True))
    assert types[0] == TicketEventType.OPENED and types[-2:] == [TicketEventType.CLOSED, TicketEventType.UPDATED]
    invitation = Invitation.objects.get()
    assert (invitation.ticket_id, invitation.status) == (copy.pk, InvitationStatus.SCHEDULED)
    assert desk["dialogs"] == []


def _bulk(page, desk, ticket, action):
    page.goto(f"{desk['url']}/helpdesk/tickets/")
    page.check(f"input.ticket_multi_select[value='{ticket.pk}']")
    page.click("#actions-dropdown button.dropdown-toggle")
    page.select_option("#id_mass_action", action)
    page.click("#actions-dropdown button[type=submit]")
    page.wait_for_url("**/helpdesk/tickets/")


def test_bulk_close_with_and_without_email_reopen_reclose_and_delete(page, desk):
    queue = desk["queue"]
    told = HelpdeskTicket.objects.create(title="Told", queue=queue, submitter_email="t@example.org")
    untold = HelpdeskTicket.objects.create(title="Untold", queue=queue, submitter_email="u@example.org")

    _bulk(page, desk, told, "close_public")
    _bulk(page, desk, untold, "close")
    assert (ours(told).status, ours(untold).status) == (TicketStatus.CLOSED, TicketStatus.CLOSED)
    assert Invitation.objects.get(ticket=ours(told)).status == InvitationStatus.SCHEDULED
    assert set(Invitation.objects.filter(ticket=ours(untold)).values_list("status", "suppression_reason")) == {
        (InvitationStatus.SUPPRESSED, SuppressionReason.NOT_CONTACTED)}

    # Reopen and close again by the update form: a second cycle with its own invitation.
    for status in ("#st_reopened", "#st_closed"):
        page.goto(f"{desk['url']}/helpdesk/tickets/{told.pk}/")
        page.click("#respond-tab")
        page.check(status)
        page.click("#ticket-respond-form button[type=submit]")
        page.wait_for_url(f"**/helpdesk/tickets/{told.pk}/")
    copy = ours(told)
    assert (copy.status, copy.cycle, copy.reopen_count) == (TicketStatus.CLOSED, 2, 1)
    assert sorted(Invitation.objects.filter(ticket=copy).values_list("cycle", "status")) == [
        (1, InvitationStatus.CANCELLED), (2, InvitationStatus.SCHEDULED)]

    page.goto(f"{desk['url']}/helpdesk/tickets/{told.pk}/delete/")
    page.click("button.btn-danger[type=submit]")  # "Yes I Understand - Delete It Anyway"
    page.wait_for_url(lambda url: "/delete/" not in url)
    copy.refresh_from_db()
    assert (copy.status, copy.closed_at) == (TicketStatus.REMOVED, None)
    assert Invitation.objects.get(ticket=copy, cycle=2).status == InvitationStatus.CANCELLED
    assert desk["dialogs"] == []


def test_merge_by_the_ticket_list_removes_the_duplicate_from_the_figures(page, desk):
    queue = desk["queue"]
    main = HelpdeskTicket.objects.create(title="Main", queue=queue, submitter_email="m@example.org")
    other = HelpdeskTicket.objects.create(title="Same again", queue=queue, submitter_email="m@example.org")
    page.goto(f"{desk['url']}/helpdesk/tickets/")
    for ticket in (main, other):
        page.check(f"input.ticket_multi_select[value='{ticket.pk}']")
    page.click("#actions-dropdown button.dropdown-toggle")
    page.select_option("#id_mass_action", "merge")
    page.click("#actions-dropdown button[type=submit]")
    page.wait_for_url("**/helpdesk/tickets/merge*")
    page.check(f"input[name=chosen_ticket][value='{main.pk}']")
    page.click("button[type=submit]:has-text('Validate')")
    page.wait_for_url(lambda url: "/merge" not in url)
    other.refresh_from_db()
    assert other.status == HelpdeskTicket.DUPLICATE_STATUS
    assert (ours(other).status, ours(other).closed_at, ours(other).resolved_at) == (TicketStatus.REMOVED, None, None)
    assert ours(main).status == TicketStatus.OPEN
    assert not Invitation.objects.exists()
    assert desk["dialogs"] == []


def test_kanban_drag_to_closed_closes_and_invites(page, desk):
    ticket = HelpdeskTicket.objects.create(title="Drag me", queue=desk["queue"], submitter_email="d@example.org")
    page.goto(f"{desk['url']}/helpdesk/kanban/?due_weeks=0")  # also tickets without a due date
    closed_column = page.locator(f".kanban-drop-zone[data-status='{HelpdeskTicket.CLOSED_STATUS}']")
    page.locator(f".kanban-card[data-ticket-id='{ticket.pk}']").drag_to(closed_column)
    expect(page.locator("#kanban-toast")).to_contain_text("Status updated.")
    ticket.refresh_from_db()
    copy = ours(ticket)
    assert (ticket.status, copy.status, copy.closed_at) == (HelpdeskTicket.CLOSED_STATUS, TicketStatus.CLOSED, ticket.modified)
    assert Invitation.objects.get().ticket_id == copy.pk
    assert desk["dialogs"] == []
