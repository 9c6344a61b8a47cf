"""The Content-Security-Policy in a real browser: staff pages load with nothing refused, and
the watcher in conftest.py does see a refusal when there is one."""

import pytest
from playwright.sync_api import expect

from tests.factories import CampaignFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_watcher_reports_an_inline_script_the_policy_refuses(page, live_server, csp_violations):
    url = f"{live_server.url}/csp-probe/"
    page.route(
        url,
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": "script-src 'self'"},
            body="<!doctype html><p>probe</p><script>document.title = 'ran';</script>",
        ),
    )

    page.goto(url)
    page.wait_for_timeout(200)

    assert page.title() != "ran"
    assert any("script-src" in text for text in csp_violations)
    csp_violations.clear()  # seen on purpose


def test_superuser_pages_load_with_nothing_refused(page, live_server, roles):
    UserFactory(username="root", is_superuser=True)
    campaign = CampaignFactory(email_body="<p style='color:#c00'>Hello {{ customer_name }}</p>")
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()

    for path in (
        "/admin/surveys/questionnaire/add/",
        f"/admin/surveys/campaign/{campaign.pk}/change/",
        f"/admin/surveys/campaign/{campaign.pk}/email-preview/",
        "/admin/surveys/invitation/",
        "/admin/surveys/apitoken/add/",
        "/reports/",
        "/reports/summary/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("load")
