"""What one delivery costs the request: the webhook only stores the event, so a change that adds
work to the request (a ticket read, a customer write) shows up here (`bench/bench_ingest.py webhook`)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from surveys.models import TicketEvent
from tests.factories import CampaignFactory

from .helpers import event, post_event

pytestmark = pytest.mark.django_db


def statements(payload) -> list[str]:
    """The statements one delivery ran, as "VERB table"."""
    with CaptureQueriesContext(connection) as queries:
        response = post_event(Client(), payload, apply=False)
    assert response.status_code in (200, 202), response.content
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split()[0]
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):  # the test's own transaction around the call
            continue
        if verb in ("INSERT", "SELECT"):
            table = sql.split(" INTO " if verb == "INSERT" else " FROM ")[1].split()[0].strip('"')
            found.append(f"{verb} {table}")
        else:
            found.append(verb)
    return found


def test_a_new_event_is_one_insert_and_nothing_else():
    CampaignFactory(delay_minutes=0)
    post_event(Client(), event(event_id="e1"), apply=False)
    assert statements(event(event_id="e2")) == ["INSERT surveys_ticketevent"]


def test_a_redelivery_is_a_refused_insert_and_one_read():
    payload = event(event_id="e1")
    post_event(Client(), payload, apply=False)
    assert statements(payload) == ["INSERT surveys_ticketevent", "SELECT surveys_ticketevent"]
    assert TicketEvent.objects.count() == 1
