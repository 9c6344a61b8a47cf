"""Helpdesk connections in the admin: an administrator adds one and is shown its address."""

import pytest
from django.conf import settings

from surveys.models import HelpdeskConnection

from .helpers import connection, deliver, fixture

pytestmark = pytest.mark.django_db

ADD = "/admin/surveys/helpdeskconnection/add/"


def test_admin_adds_a_connection_and_sees_its_webhook_url(admin_client):
    response = admin_client.post(
        ADD,
        {
            "kind": "zammad",
            "name": "Zammad",
            "source": "zammad-main",
            "secret": "token-from-zammad",
            "default_team": "",
            "default_category": "",
            "default_locale": "",
            "active": "on",
        },
    )

    assert response.status_code == 302, response.content
    conn = HelpdeskConnection.objects.get()
    page = admin_client.get(f"/admin/surveys/helpdeskconnection/{conn.pk}/change/")
    assert settings.SITE_URL + f"/hooks/zammad/{conn.url_token}/" in page.content.decode()


def test_connection_is_saved_before_its_secret_exists(admin_client):
    response = admin_client.post(
        ADD,
        {
            "kind": "zendesk",
            "name": "Zendesk",
            "source": "zendesk-main",
            "secret": "",
            "default_team": "",
            "default_category": "",
            "default_locale": "",
            "active": "on",
        },
    )

    assert response.status_code == 302
    assert HelpdeskConnection.objects.get().secret == ""


def test_staff_without_the_permission_cannot_see_connections(designer_client):
    assert designer_client.get("/admin/surveys/helpdeskconnection/").status_code == 403


def test_rotating_the_url_token_retires_the_old_address(admin_client, client):
    conn = connection("freshdesk", secret="")
    old = conn.url_token

    admin_client.post(
        "/admin/surveys/helpdeskconnection/", {"action": "rotate_url_token", "_selected_action": [conn.pk]}
    )

    conn.refresh_from_db()
    assert conn.url_token != old and len(conn.url_token) >= 43
    assert deliver(client, conn, fixture("freshdesk", "resolved"), token=old).status_code == 404
    assert deliver(client, conn, fixture("freshdesk", "resolved")).status_code == 202
