"""The demo organisation as a newcomer first sees it: the manager's dashboard and the agent's
My scores, with figures (not dashes) on both. With SCREENSHOTS=1 (`make screenshots`) the two
pages are also saved to docs/screenshots/ for the README."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from surveys.demo import demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", username)  # demo logins: the password is the user name
    page.locator("form button[type=submit], form input[type=submit]").first.click()


def _keep(page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def test_demo_dashboard_and_agent_home_show_figures(page, live_server, roles):
    demo_seed(create_logins=True)
    page.set_viewport_size({"width": 1280, "height": 1000})

    _sign_in(page, live_server.url, "manager")
    tile = page.locator('.report-tile[data-metric="nps"]')
    expect(tile).to_contain_text("n = ")
    expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "1")
    _keep(page, "dashboard.png")

    page.context.clear_cookies()
    _sign_in(page, live_server.url, "agent")
    expect(page.locator("h1")).to_contain_text("My scores")
    expect(page.locator("body")).to_contain_text("n = ")
    page.wait_for_load_state("load")
    _keep(page, "agent-home.png")
