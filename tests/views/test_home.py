"""Each role's home at / (surveys/views/home.py), reached after the product's sign-in."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_product_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/"


def test_managers_land_on_the_dashboard(manager_client):
    assert manager_client.get("/")["Location"] == reverse("surveys:reports")


def test_superusers_land_on_the_dashboard(client, roles):
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert client.get("/")["Location"] == reverse("surveys:reports")


def test_designers_land_on_their_campaigns(designer_client):
    response = designer_client.get("/")
    assert response["Location"] == reverse("admin:surveys_campaign_changelist")
    assert designer_client.get(response["Location"]).status_code == 200


def test_agents_land_on_their_own_scores(agent_client):
    response = agent_client.get("/")
    assert response["Location"] == reverse("surveys:my_scores")
    assert "My scores" in agent_client.get(response["Location"]).content.decode()


def test_an_agent_login_linked_to_no_agent_is_told_it_has_no_role(client, roles):
    from surveys.roles import AGENTS

    client.force_login(UserFactory(username="loose", groups=[AGENTS], is_staff=False))
    response = client.get("/")
    assert response.status_code == 403 and "no role yet" in response.content.decode()


def test_a_user_in_no_group_is_told_it_has_no_role(outsider_client):
    response = outsider_client.get("/")
    assert response.status_code == 403 and "no role yet" in response.content.decode()


def test_signing_in_without_a_next_page_leads_home(client, agent_user):
    response = client.post(reverse("login"), {"username": "agent", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == reverse("surveys:home")


def test_the_admins_view_site_link_leads_home(manager_client):
    assert admin.site.site_url == "/"
    assert 'href="/"' in manager_client.get(reverse("admin:index")).content.decode()


def test_home_is_read_only(manager_client):
    assert manager_client.post("/").status_code == 405
