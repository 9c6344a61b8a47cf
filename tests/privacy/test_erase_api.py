"""POST /api/customers/erase/: the helpdesk automation's door to erasure."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from surveys import models as m
from tests.factories import UserFactory
from tests.privacy.conftest import EMAIL, EXTERNAL_ID, mentions_customer

pytestmark = pytest.mark.django_db
URL = "/api/customers/erase/"


def token_client(user) -> APIClient:
    token = m.ApiToken(user=user, name="helpdesk")
    key = token.set_new_key()
    token.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def automation(roles):
    user = UserFactory(username="helpdesk-bot", is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename="erase_customer"))
    return token_client(user)


def test_url_is_named():
    assert reverse("surveys:api_customers_erase") == URL


def test_erase_by_email_answers_counts_and_erases(automation, footprint):
    response = automation.post(URL, {"email": EMAIL}, format="json")

    assert response.status_code == 200
    assert response.json() == {"matched": 1, "erased": 1}
    customer = m.Customer.objects.get(pk=footprint.customer.pk)
    assert customer.erased_at is not None
    assert m.Ticket.objects.get(pk=footprint.ticket.pk).subject == ""
    assert not mentions_customer(m.TicketEvent.objects.get(pk=footprint.applied_event.pk).payload)


def test_erase_by_external_id(automation, footprint):
    response = automation.post(URL, {"external_id": EXTERNAL_ID}, format="json")

    assert response.json() == {"matched": 1, "erased": 1}
    assert m.Customer.objects.get(pk=footprint.customer.pk).email is None


def test_a_repeat_is_a_harmless_200(automation, footprint):
    automation.post(URL, {"email": EMAIL}, format="json")

    again = automation.post(URL, {"email": EMAIL}, format="json")

    assert again.status_code == 200 and again.json() == {"matched": 0, "erased": 0}


def test_without_the_permission_is_403_and_erases_nothing(manager, footprint):
    response = token_client(manager).post(URL, {"email": EMAIL}, format="json")

    assert response.status_code == 403
    assert m.Customer.objects.get(pk=footprint.customer.pk).erased_at is None


def test_without_a_token_is_401(footprint):
    response = APIClient().post(URL, {"email": EMAIL}, format="json")

    assert response.status_code == 401
    assert m.Customer.objects.get(pk=footprint.customer.pk).erased_at is None


def test_a_superuser_session_may_erase(admin_client, footprint):
    response = admin_client.post(URL, {"email": EMAIL}, content_type="application/json")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "", "external_id": ""},
        {"email": "not an address"},
        {"external_id": "x" * 101},
        {"external_id": "a\x00b"},
        '{"external_id": "\\ud800"}',  # a lone surrogate, as JSON escapes allow
        '{"email": ',
        {"email": ["a@b.org"]},
    ],
)
def test_bad_input_is_a_400_naming_the_problem(automation, footprint, body):
    if isinstance(body, str):
        response = automation.post(URL, body, content_type="application/json")
    else:
        response = automation.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()
    assert m.Customer.objects.filter(erased_at__isnull=False).count() == 0


def test_a_get_is_405(automation):
    assert automation.get(URL).status_code == 405


def test_the_schema_documents_the_operation_and_its_refusals(admin_client):
    schema = admin_client.get(reverse("surveys:api_schema"), HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][URL]["post"]

    assert operation["operationId"] == "customers_erase"
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {"email", "external_id"}
