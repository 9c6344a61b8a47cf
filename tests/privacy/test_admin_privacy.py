"""The admin: who may erase, tokens never shown, and the logged "open as the customer"."""

import logging

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from surveys import models as m
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def erase_action(client, customer):
    return client.post(
        reverse("admin:surveys_customer_changelist"),
        {"action": "erase_personal_data", "_selected_action": [customer.pk]},
        follow=True,
    )


def test_erase_action_needs_the_erase_permission_not_just_change(roles, footprint):
    clerk = UserFactory(username="clerk2")
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_customer", "change_customer"]))
    client = Client()
    client.force_login(clerk)

    page = client.get(reverse("admin:surveys_customer_changelist")).content.decode()
    erase_action(client, footprint.customer)

    assert "erase_personal_data" not in page
    assert m.Customer.objects.get(pk=footprint.customer.pk).erased_at is None


def test_erase_action_with_the_permission_erases_everywhere(roles, footprint):
    clerk = UserFactory(username="clerk3")
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_customer", "erase_customer"]))
    client = Client()
    client.force_login(clerk)

    erase_action(client, footprint.customer)

    assert m.Customer.objects.get(pk=footprint.customer.pk).erased_at is not None
    assert m.Answer.objects.get(pk=footprint.comment.pk).text == ""


def test_invitation_pages_never_show_the_token_even_to_a_superuser(admin_client):
    invitation = InvitationFactory()

    change = admin_client.get(reverse("admin:surveys_invitation_change", args=[invitation.pk]))
    changelist = admin_client.get(reverse("admin:surveys_invitation_changelist"))

    assert change.status_code == 200
    assert invitation.token not in change.content.decode()
    assert invitation.token not in changelist.content.decode()


def test_superuser_opens_the_survey_as_the_customer_and_it_is_logged(admin_client, admin_user, caplog):
    invitation = InvitationFactory()

    with caplog.at_level(logging.WARNING, logger="surveys.audit"):
        response = admin_client.post(
            reverse("admin:surveys_invitation_changelist"),
            {"action": "open_as_customer", "_selected_action": [invitation.pk]},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:survey", args=[invitation.token])
    line = next(r for r in caplog.records if r.name == "surveys.audit")
    assert f"opened invitation {invitation.pk} as the customer" in line.getMessage()
    assert admin_user.username in line.getMessage()
    assert invitation.token not in line.getMessage()
    entry = LogEntry.objects.get(object_id=str(invitation.pk))
    assert entry.user == admin_user and "as the customer" in entry.get_change_message()


def test_open_as_customer_takes_exactly_one_invitation(admin_client):
    first, second = InvitationFactory(), InvitationFactory()

    response = admin_client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "open_as_customer", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "Select exactly one invitation." in response.content.decode()
    assert not LogEntry.objects.exists()


def test_a_manager_cannot_open_as_the_customer(manager_client):
    invitation = InvitationFactory()

    page = manager_client.get(reverse("admin:surveys_invitation_changelist")).content.decode()
    response = manager_client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "open_as_customer", "_selected_action": [invitation.pk]},
    )

    assert "open_as_customer" not in page
    assert invitation.token not in response.get("Location", "")
    assert not LogEntry.objects.exists()
