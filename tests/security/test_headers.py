"""Content-Security-Policy on every page kind, no-store on the customer's pages, and templates
that the policy does not break (no inline scripts, no style attributes)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import InvitationFactory, ResponseFactory

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "h"}}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def assert_nothing_inline(response) -> None:
    """What the policy would refuse in the rendered page, whichever template or widget made it."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    html = response.content.decode()
    inline_scripts = [
        tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag and "application/json" not in tag
    ]
    assert inline_scripts == []
    assert re.findall(r"<[^>]+\sstyle\s*=[^>]*>", html) == []
    assert re.findall(r"\son[a-z]+\s*=\s*[\"']", html) == []  # onclick= and the like


def _survey(client):
    return client.get(reverse("surveys:survey", args=[InvitationFactory().token]))


def _thanks(client):
    return client.get(reverse("surveys:survey", args=[ResponseFactory().invitation.token]))


PAGES = {
    "survey page": _survey,
    "survey thanks page": _thanks,
    "survey unknown-token page": lambda c: c.get(reverse("surveys:survey", args=["nope-nope-nope"])),
    "opt-out page": lambda c: c.get(reverse("surveys:unsubscribe", args=[InvitationFactory().token])),
    "admin login": lambda c: c.get(reverse("admin:login")),
    "webhook answer": lambda c: c.post("/api/ticket-events/", b"{}", content_type="application/json"),
    "health check": lambda c: c.get("/healthz"),
    "not found": lambda c: c.get("/no-such-page/"),
}
STAFF_PAGES = {
    "admin index": lambda c: c.get(reverse("admin:index")),
    "admin changelist": lambda c: c.get(reverse("admin:surveys_invitation_changelist")),
    "admin questionnaire form": lambda c: c.get(reverse("admin:surveys_questionnaire_add")),
    "admin campaign form": lambda c: c.get(reverse("admin:surveys_campaign_add")),
    "dashboard": lambda c: c.get(reverse("surveys:reports")),
    "summary report": lambda c: c.get(reverse("surveys:reports_summary")),
    "metrics API": lambda c: c.get(reverse("surveys:api_metrics_summary")),
    "API schema": lambda c: c.get(reverse("surveys:api_schema")),
}


@pytest.mark.parametrize("kind", PAGES)
def test_every_public_page_kind_carries_the_policy(client, kind):
    response = PAGES[kind](client)
    assert_strict(response)
    assert_nothing_inline(response)


@pytest.mark.parametrize("kind", STAFF_PAGES)
def test_every_staff_page_kind_carries_the_policy(admin_client, kind):
    response = STAFF_PAGES[kind](admin_client)
    assert response.status_code == 200
    assert_strict(response)
    assert_nothing_inline(response)


def test_the_email_preview_alone_allows_inline_styles_for_the_email(admin_client):
    from tests.factories import CampaignFactory

    response = admin_client.get(reverse("admin:surveys_campaign_email_preview", args=[CampaignFactory().pk]))

    directives = policy(response)
    assert "'unsafe-inline'" in directives["style-src"]
    assert "'unsafe-inline'" not in directives["script-src"]


@pytest.mark.parametrize("kind", ["survey page", "survey thanks page", "opt-out page"])
def test_the_customers_pages_are_never_stored(client, kind):
    response = PAGES[kind](client)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_no_template_holds_an_inline_script_or_a_style_attribute():
    """The policy refuses both, and a <style> without the request's nonce; emails are not pages
    (mail apps need inline styles)."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if path.relative_to(TEMPLATES).parts[0] == "emails" or path.name == "digest_email.html":
            continue
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.name}: {tag}")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path.name}: style attribute")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: inline event handler")
        # Only the brand's colours (customer_base.html), allowed by the request's nonce.
        if re.search(r'<style\b(?![^>]*\snonce="\{\{ request\.csp_nonce \}\}")', text):
            offenders.append(f"{path.name}: <style> element without the nonce")
    assert offenders == []
