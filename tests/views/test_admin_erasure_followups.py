"""Erasing a customer's personal data (service and admin action) and working follow-up cases in
the admin."""

import pytest
from django.urls import reverse

from surveys import models as m
from surveys.services.customers import customer_erase
from surveys.services.followups import followup_update
from tests.factories import CustomerFactory, ResponseFactory, TicketFactory

pytestmark = pytest.mark.django_db


def changelist(model: str) -> str:
    return reverse(f"admin:surveys_{model}_changelist")


def change(obj) -> str:
    return reverse(f"admin:surveys_{obj._meta.model_name}_change", args=[obj.pk])


# --- customer erasure ------------------------------------------------------------------
def test_customer_erase_clears_personal_fields_and_keeps_tickets():
    customer = CustomerFactory(email="kim@example.org", name="Kim", external_id="crm-9", segment="gold")
    ticket = TicketFactory(customer=customer)
    ResponseFactory(invitation__ticket=ticket, invitation__customer=customer, nps_score=3)

    customer_erase(customer=customer)

    customer.refresh_from_db()
    assert customer.email is None
    assert customer.name == ""
    assert customer.external_id == ""
    assert customer.erased_at is not None
    assert customer.segment == "gold"
    assert list(customer.tickets.all()) == [ticket]
    assert m.Response.objects.filter(invitation__customer=customer, nps_score=3).count() == 1


def test_customer_erase_twice_keeps_the_first_erasure_time():
    customer = CustomerFactory()
    first = customer_erase(customer=customer).erased_at

    assert customer_erase(customer=customer).erased_at == first


def test_erase_action_in_the_admin(admin_client):
    keep = CustomerFactory(email="keep@example.org")
    gone = CustomerFactory(email="gone@example.org", name="Gone")
    TicketFactory(customer=gone)

    response = admin_client.post(
        changelist("customer"),
        {"action": "erase_personal_data", "_selected_action": [gone.pk]},
        follow=True,
    )

    gone.refresh_from_db()
    keep.refresh_from_db()
    assert "Erased the personal data of 1 customer" in response.content.decode()
    assert gone.email is None and gone.name == "" and gone.erased_at is not None
    assert gone.tickets.count() == 1
    assert keep.email == "keep@example.org" and keep.erased_at is None


def test_manager_cannot_erase_customers(manager_client):
    customer = CustomerFactory(email="stay@example.org")

    page = manager_client.get(changelist("customer")).content.decode()
    manager_client.post(changelist("customer"), {"action": "erase_personal_data", "_selected_action": [customer.pk]})

    customer.refresh_from_db()
    assert "erase_personal_data" not in page
    assert customer.email == "stay@example.org"
    assert customer.erased_at is None


# --- follow-ups ------------------------------------------------------------------------
@pytest.fixture
def followup():
    response = ResponseFactory(nps_score=1)
    return m.FollowUp.objects.create(
        response=response, ticket=response.invitation.ticket, reason=m.FollowUpReason.DETRACTOR
    )


def test_followup_update_stamps_closed_at_once_and_clears_it_on_reopen(followup, manager):
    recovered = m.FollowUpOutcome.RECOVERED
    closed = followup_update(
        followup=followup, status=m.FollowUpStatus.CLOSED, owner=manager, notes="Called", outcome=recovered
    )
    first_closed_at = closed.closed_at
    again = followup_update(
        followup=followup, status=m.FollowUpStatus.CLOSED, owner=manager, notes="Called twice", outcome=recovered
    )
    assert first_closed_at is not None
    assert again.closed_at == first_closed_at

    reopened = followup_update(followup=followup, status=m.FollowUpStatus.IN_PROGRESS, owner=None, notes="")

    reopened.refresh_from_db()
    assert reopened.closed_at is None and reopened.outcome == ""
    assert reopened.status == m.FollowUpStatus.IN_PROGRESS


def test_manager_closes_a_followup_in_the_admin(manager_client, manager, followup):
    response = manager_client.post(
        change(followup),
        {"status": m.FollowUpStatus.CLOSED, "outcome": "resolved", "owner": manager.pk, "notes": "Refund issued"},
    )

    assert response.status_code == 302
    followup.refresh_from_db()
    assert (followup.status, followup.outcome) == (m.FollowUpStatus.CLOSED, m.FollowUpOutcome.RESOLVED)
    assert followup.owner == manager
    assert followup.notes == "Refund issued"
    assert followup.closed_at is not None


def test_admin_refuses_to_close_a_followup_without_an_outcome(manager_client, manager, followup):
    response = manager_client.post(
        change(followup), {"status": m.FollowUpStatus.CLOSED, "outcome": "", "owner": manager.pk, "notes": ""}
    )

    assert response.status_code == 200
    assert "A closed case needs an outcome" in response.content.decode()
    followup.refresh_from_db()
    assert followup.status == m.FollowUpStatus.OPEN


def test_followup_cannot_be_added_by_hand(manager_client):
    assert manager_client.get(reverse("admin:surveys_followup_add")).status_code == 403
