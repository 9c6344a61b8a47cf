"""The product's DRF settings must not leak into django-helpdesk's own DRF views: a plain staff
member, in none of the product's groups, uses django-helpdesk's ticket list and timeline."""

import pytest
from django.test import Client

from .helpers import helpdesk_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.urls("surveys_project.urls_helpdesk")]


def _list_query(staff_client) -> str:
    page = staff_client.get("/helpdesk/tickets/")
    assert page.status_code == 200
    return page.context["urlsafe_query"]


def test_plain_staff_user_fetches_helpdesks_datatables_ticket_list(queue, staff_client):
    ticket = helpdesk_ticket(queue)
    query = _list_query(staff_client)
    response = staff_client.get(f"/helpdesk/datatables_ticket_list/{query}", {"draw": 1})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["data"]] == [ticket.pk]


def test_plain_staff_user_fetches_helpdesks_timeline(queue, staff_client):
    helpdesk_ticket(queue)
    query = _list_query(staff_client)
    response = staff_client.get(f"/helpdesk/timeline_ticket_list/{query}")
    assert response.status_code == 200
    assert "events" in response.json()


def test_the_same_staff_user_still_may_not_read_the_products_metrics(staff_client, roles):
    # The product's API keeps its own rule, now carried by the views themselves.
    assert staff_client.get("/api/metrics/summary/").status_code == 403
    assert Client().get("/api/metrics/summary/")["WWW-Authenticate"] == "Token"
