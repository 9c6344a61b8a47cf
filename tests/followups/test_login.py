"""The product's sign-in page (/login/): agents, who are not staff, reach their cases; failed
logins are throttled by django-axes there as on the admin's."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client, username, password, next_url="/cases/"):
    return client.post(reverse("login"), {"username": username, "password": password, "next": next_url})


def test_agent_signs_in_on_the_product_page_and_reaches_their_cases(client, agent_user):
    page = client.get(reverse("login") + "?next=/cases/")
    assert page.status_code == 200 and 'name="password"' in page.content.decode()

    response = attempt(client, "agent", "pw")

    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_the_admin_login_still_refuses_an_agent(client, agent_user):
    client.post(reverse("admin:login"), {"username": "agent", "password": "pw", "next": "/admin/"})
    assert client.get("/admin/").status_code == 302


def test_wrong_passwords_lock_the_product_login_too(client, agent_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "agent", "wrong")

    response = attempt(client, "agent", "pw")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_bad_credentials_show_the_form_again(client, agent_user):
    response = attempt(client, "agent", "wrong")
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_log_out_is_a_post(agent_client):
    assert agent_client.post(reverse("logout")).status_code in (200, 302)
    assert agent_client.get("/cases/").status_code == 302
