"""An agent in a real browser: signs in on the product's page, lands on My scores, and the
page (its trend chart included) loads with nothing the Content-Security-Policy refuses."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_signs_in_and_lands_on_my_scores(page, live_server, agent_user):
    page.goto(f"{live_server.url}/")  # anonymous: the product's sign-in page
    page.fill("#id_username", "agent")
    page.fill("#id_password", "pw")
    page.locator("form button[type=submit], form input[type=submit]").first.click()

    expect(page.locator("h1")).to_contain_text("My scores")
    assert page.url.endswith("/my-scores/")
    page.wait_for_load_state("load")
    expect(page.locator("#trend-chart")).to_be_visible()
