"""Agents matched to logins by email (surveys/services/agent_logins.py, called on every user save)."""

import pytest

from surveys.models import Agent
from surveys.services.agent_logins import agent_user_match_by_email
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_user_with_an_agents_email_becomes_that_agents_login():
    agent = AgentFactory(email="ann@support.example.com")

    user = UserFactory(username="ann", email="Ann@Support.example.com", is_staff=False)

    agent.refresh_from_db()
    assert agent.user == user


def test_an_email_filled_in_later_links_on_that_save():
    agent = AgentFactory(email="bob@support.example.com")
    user = UserFactory(username="bob", email="")
    assert Agent.objects.get(pk=agent.pk).user is None

    user.email = "bob@support.example.com"
    user.save()

    assert Agent.objects.get(pk=agent.pk).user == user


def test_a_link_an_administrator_made_is_never_replaced():
    owner = UserFactory(username="owner", email="owner@example.com")
    agent = AgentFactory(email="cat@support.example.com", user=owner)

    UserFactory(username="cat", email="cat@support.example.com")

    assert Agent.objects.get(pk=agent.pk).user == owner


def test_a_user_already_some_agents_login_is_not_linked_again():
    first = AgentFactory(email="dan@support.example.com")
    user = UserFactory(username="dan", email="dan@support.example.com")
    second = AgentFactory(email="dan2@support.example.com")
    user.email = "dan2@support.example.com"
    user.save()

    assert Agent.objects.get(pk=first.pk).user == user
    assert Agent.objects.get(pk=second.pk).user is None


def test_two_agents_sharing_an_email_are_not_guessed_between():
    one, two = AgentFactory(email="desk@support.example.com"), AgentFactory(email="desk@support.example.com")

    user = UserFactory(username="desk", email="desk@support.example.com")

    assert not Agent.objects.filter(pk__in=[one.pk, two.pk], user=user).exists()
    assert agent_user_match_by_email(user=user) is False


def test_no_email_links_nothing():
    AgentFactory(email="")
    user = UserFactory(username="blank", email="")
    assert agent_user_match_by_email(user=user) is False
    assert not Agent.objects.filter(user=user).exists()
