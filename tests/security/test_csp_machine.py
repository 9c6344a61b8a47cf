"""The machine endpoints' Content-Security-Policy (surveys/csp.py): built once, and the very
header django-csp's own middleware gives the same answer."""

import json

import pytest
from csp.middleware import CSPMiddleware
from django.http import JsonResponse
from django.test import RequestFactory

from surveys.csp import MACHINE_PREFIXES, SiteCSPMiddleware
from tests.security.test_headers import assert_strict

pytestmark = pytest.mark.django_db


def _json_answer(request):
    return JsonResponse({"status": "stored"}, status=202)


def _headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k.startswith("Content-Security-Policy")}


@pytest.mark.parametrize("path", ["/api/ticket-events/", "/hooks/zammad/x/", "/delighted/v1/people.json"])
def test_a_machine_answer_carries_the_header_django_csp_builds(path):
    request = RequestFactory().post(path, b"{}", content_type="application/json")

    ours = SiteCSPMiddleware(_json_answer)(request)
    theirs = CSPMiddleware(_json_answer)(RequestFactory().post(path, b"{}", content_type="application/json"))

    assert _headers(theirs)  # the twin: django-csp's own middleware, on the same answer
    assert _headers(ours) == _headers(theirs)


def test_the_machine_header_is_built_when_the_middleware_starts_not_per_answer(monkeypatch):
    middleware = SiteCSPMiddleware(_json_answer)
    built = []
    for where in ("surveys.csp.build_policy", "csp.middleware.build_policy"):  # ours and django-csp's
        monkeypatch.setattr(where, lambda *a, **k: built.append(1) or "x")

    for _ in range(3):
        middleware(RequestFactory().post("/api/ticket-events/", b"{}", content_type="application/json"))

    assert built == []


def test_a_page_is_still_built_by_django_csp_with_its_nonce():
    def page(request):
        return JsonResponse({"nonce": str(request.csp_nonce)})

    response = SiteCSPMiddleware(page)(RequestFactory().get("/s/some-token/"))

    nonce = json.loads(response.content)["nonce"]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_a_machine_answer_never_carries_a_nonce_in_its_header():
    def asks_for_a_nonce(request):  # as a page would; a machine answer has none to ask for
        nonce = getattr(request, "csp_nonce", None)
        return JsonResponse({"nonce": str(nonce) if nonce is not None else None})

    response = SiteCSPMiddleware(asks_for_a_nonce)(RequestFactory().get("/api/metrics/summary/"))

    assert json.loads(response.content)["nonce"] is None
    assert "nonce" not in response["Content-Security-Policy"]


def test_the_report_only_policy_reaches_machine_answers_too(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/r"}}
    request = RequestFactory().post("/api/ticket-events/", b"{}", content_type="application/json")

    response = SiteCSPMiddleware(_json_answer)(request)

    assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'; report-uri /r"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_header_the_view_set_itself_is_kept():
    def own(request):
        answer = JsonResponse({})
        answer["Content-Security-Policy"] = "default-src 'none'"
        return answer

    response = SiteCSPMiddleware(own)(RequestFactory().get("/api/metrics/summary/"))

    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_the_webhooks_answer_through_the_whole_stack_has_the_site_policy(client):
    response = client.post("/api/ticket-events/", json.dumps({}), content_type="application/json")

    assert response.status_code in (400, 401)
    assert_strict(response)
    assert "nonce" not in response["Content-Security-Policy"]


def test_every_machine_prefix_is_a_path_of_this_site():
    from django.urls import resolve

    for path in ("/api/ticket-events/", "/hooks/zammad/token/", "/delighted/v1/people.json"):
        assert path.startswith(MACHINE_PREFIXES)
        resolve(path)  # raises Resolver404 if the prefix named no route
