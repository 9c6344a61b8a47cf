"""What one event costs the database: the statements of the webhook's common paths, so a change
that adds a round trip to every event shows up here (docs/benchmarks.md, bench/bench_dispatch.py)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from surveys.models import Ticket
from tests.factories import CampaignFactory

from .helpers import event, post_event

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def statements(payload) -> list[str]:
    """The statements one delivery ran, as "VERB table" (the two reads as "SELECT")."""
    with CaptureQueriesContext(connection) as queries:
        response = post_event(Client(), payload)
    assert response.status_code in (200, 202), response.content
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith(TRANSACTION_CONTROL):
            continue
        verb = sql.split()[0]
        table = {"INSERT": sql.split()[2], "UPDATE": sql.split()[1]}.get(verb, "")
        found.append(f"{verb} {table.strip(chr(34))}".strip())
    return found


def close(n: int, **fields) -> dict:
    return event(
        event_id=f"close-{n}", ticket={"id": f"T-{n}"}, customer={"email": f"c{n}@example.org"}, **fields
    )


@pytest.fixture(autouse=True)
def _campaign(enqueued):
    CampaignFactory(delay_minutes=0, throttle_days=0)
    # The first close after a campaign change loads the campaigns (one more SELECT); after
    # that the process keeps them. Warm up with another agent, team and customer.
    warm_up = close(0, agent={"id": "a-0", "team": "Tier 0"})
    assert post_event(Client(), warm_up).status_code == 202


def test_close_of_a_new_ticket_for_a_new_customer_is_six_statements():
    post_event(Client(), close(1))  # the agent and team exist from now on
    assert statements(close(2)) == [
        "SELECT",  # ticket (locked), SLA targets, campaigns' fingerprint
        "SELECT",  # customer, agent, team
        "INSERT surveys_customer",
        "INSERT surveys_ticket",
        "INSERT surveys_invitation",
        "INSERT surveys_ticketevent",
    ]


def test_first_event_of_a_new_agent_and_team_adds_their_inserts():
    assert statements(close(1)) == [
        "SELECT",
        "SELECT",
        "INSERT surveys_customer",
        "INSERT surveys_team",
        "INSERT surveys_agent",
        "INSERT surveys_ticket",
        "INSERT surveys_invitation",
        "INSERT surveys_ticketevent",
    ]


def test_close_of_an_existing_ticket_of_a_known_customer():
    opened = close(1, type="ticket.opened")
    opened["ticket"].update(resolved_at=None, closed_at=None)
    opened["event_id"] = "open-1"
    post_event(Client(), opened)
    assert statements(close(1, occurred_at="2026-11-24T10:05:00Z")) == [
        "SELECT",  # ... and the campaigns that already invited this cycle
        "SELECT",  # ... and the customer's last survey and open complaints
        "UPDATE surveys_ticket",
        "INSERT surveys_invitation",
        "INSERT surveys_ticketevent",
    ]
    assert Ticket.objects.get(external_id="T-1").status == "closed"
