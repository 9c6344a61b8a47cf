"""The mapping rules, one by one, without the database."""

import pytest
from helpdesk.models import Queue
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.integrations.helpdesk.events import Mapped, change_for, priority_for, team_for

OPEN, RESOLVED, CLOSED, DUPLICATE = (
    HelpdeskTicket.OPEN_STATUS,
    HelpdeskTicket.RESOLVED_STATUS,
    HelpdeskTicket.CLOSED_STATUS,
    HelpdeskTicket.DUPLICATE_STATUS,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "urgent"), ("1", "urgent"), ("2", "high"), (3, "normal"), ("4", "low"), (5, "low"),
     ("9", "normal"), ("", "normal"), (None, "normal"), ("high", "normal")],
)
def test_priorities_as_the_forms_send_them_and_as_stored(value, expected):
    assert priority_for(value) == expected


def test_team_is_the_queue_title_unless_mapped(settings):
    queue = Queue(title="Billing", slug="billing")
    assert team_for(queue) == "Billing"
    settings.HELPDESK_QUEUE_TEAMS = {"billing": "Accounts"}
    assert team_for(queue) == "Accounts"
    assert team_for(Queue(title="Refunds", slug="refunds")) == "Refunds"


BASE = Mapped(OPEN, "normal", 1, "Cannot pay", 7)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, BASE, "ticket.opened"),
        (BASE, BASE, None),
        (BASE, BASE._replace(title="Renamed"), "ticket.updated"),
        (BASE, BASE._replace(priority="urgent"), "ticket.updated"),
        (BASE, BASE._replace(queue_id=2), "ticket.updated"),
        (BASE, BASE._replace(assignee_id=None), "ticket.updated"),
        (BASE, BASE._replace(status=CLOSED, title="Renamed"), "ticket.closed"),
        (BASE._replace(status=CLOSED), BASE._replace(status=CLOSED, title="Renamed"), "ticket.updated"),
        (BASE._replace(status=CLOSED), BASE._replace(status=OPEN), "ticket.reopened"),
        (BASE, BASE._replace(status=RESOLVED), "ticket.updated"),
        (BASE, BASE._replace(status=DUPLICATE, title="Merged"), None),  # removed, not an event
    ],
)
def test_each_save_makes_at_most_one_event(old, new, expected):
    assert change_for(old, new) == expected
