"""Personas and helpers for the django-helpdesk integration, tested against the real package."""

import pytest
from helpdesk.models import Queue

from tests.factories import CampaignFactory, UserFactory


@pytest.fixture
def queue(db):
    return Queue.objects.create(title="Billing", slug="billing", email_address="billing@support.example")


@pytest.fixture
def campaign(db):
    return CampaignFactory(delay_minutes=0, throttle_days=0)


@pytest.fixture
def staff_user(db):
    """A plain staff member: django-helpdesk's own notion of an agent, in none of our groups."""
    return UserFactory(username="helpdesk-staff", first_name="Sam", last_name="Staff", is_staff=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
