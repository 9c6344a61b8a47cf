"""schemathesis against /api/schema/ (drf-spectacular), through the WSGI app in this process:
every answer a documented one (400/401/403/429 included), conforming to its schema, never a 5xx."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from surveys import models as m

from .counts import count

# The same document /api/schema/ serves, built without a request (it needs no database).
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
# The webhook is signed, not part of the metrics API's contract here: tests/ingest fuzzes it.
schema = schema.exclude(path="/api/ticket-events/")
APP = get_wsgi_application()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_in_test_transaction():
    """As Django's test client does: a request must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def manager_key(manager):
    token = m.ApiToken(user=manager, name="schemathesis")
    key = token.set_new_key()
    token.save()
    return key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_only_what_its_schema_documents(case, manager_key, wsgi_in_test_transaction):
    response = case.call(app=APP, headers={"Authorization": f"Token {manager_key}"})
    count(f"schemathesis {case.operation.label}", response.status_code)
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_without_credentials_is_a_documented_401(case, wsgi_in_test_transaction):
    response = case.call(app=APP)
    count(f"schemathesis {case.operation.label} (no credentials)", response.status_code)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code in (400, 401)


@pytest.mark.django_db
def test_the_fuzzed_document_is_the_one_the_api_serves(manager_client):
    served = manager_client.get("/api/schema/?format=json").json()
    assert served == SchemaGenerator().get_schema(request=None, public=True)
