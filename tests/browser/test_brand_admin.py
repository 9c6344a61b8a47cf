"""The brand form in a real browser: the contrast table follows the colour as it is typed or
picked, under the admin's Content-Security-Policy (swatches coloured through the CSSOM)."""

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_contrast_table_follows_the_typed_colour(page, live_server, roles):
    UserFactory(username="root", is_superuser=True)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/surveys/brand/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    expect(page.locator("#id_primary_colour")).to_be_visible()  # the list led to the form
    table = page.locator("[data-brand-contrast]")
    expect(table).to_contain_text("No colour chosen")

    page.fill("#id_primary_colour", "#ffff00")
    expect(table).to_contain_text("#707000 on #ffffff")
    expect(table.locator("tbody tr")).to_have_count(16)
    expect(table).not_to_contain_text("✗")
    swatch = table.locator(".brand-swatch").first
    assert swatch.evaluate("(el) => getComputedStyle(el).color") == "rgb(112, 112, 0)"

    page.locator("input[type=color]").fill("#000000")
    expect(page.locator("#id_primary_colour")).to_have_value("#000000")
    expect(table).to_contain_text("#000000 on #ffffff")
