"""A manager reads an improvement plan's before/after on the dashboard."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from surveys import models as m
from surveys.reports.filters import site_today
from surveys.roles import MANAGERS
from tests.factories import TeamFactory, UserFactory
from tests.reports.helpers import at, response, ticket


def plan_with_a_measured_effect(owner) -> m.ImprovementAction:
    """An action on team North's NPS started ten days ago: NPS −50 before (n = 6), 100 after
    (n = 6), each inside its ten days; target 40; due five days after the start."""
    north = TeamFactory(name="North")
    started = site_today() - timedelta(days=10)
    for day, scores in (
        (started - timedelta(days=3), [0, 3, 6, 6, 8, 9]),
        (started + timedelta(days=3), [9, 10, 10, 9, 10, 9]),
    ):
        for score in scores:
            response(ticket(at(day), team=north), at(day, 10), nps=score)
    return m.ImprovementAction.objects.create(
        title="Call back every detractor",
        goal="NPS of team North at 40 or more.",
        metric=m.Metric.NPS,
        team=north,
        target_value=Decimal("40"),
        owner=owner,
        started_on=started,
        due_on=started + timedelta(days=5),
        status=m.ImprovementStatus.IN_PROGRESS,
    )


def expect_the_plans_effect(page, plan) -> None:
    """What the dashboard says of ``plan_with_a_measured_effect``'s action."""
    row = page.locator(f'.report-actions tr[data-action="{plan.pk}"]')
    row.scroll_into_view_if_needed()
    expect(row.locator("[data-effect-before]")).to_contain_text("-50 n = 6")
    expect(row.locator("[data-effect-after]")).to_contain_text("100 n = 6")
    expect(row.locator("[data-effect-change]")).to_contain_text("+150")
    expect(row.locator("[data-effect-change]")).to_contain_text("significant")
    expect(row.locator("[data-effect-target]")).to_contain_text("reached")
    expect(row.locator("[data-overdue]")).to_be_visible()
    expect(page.locator("[data-overdue-list]")).to_contain_text("Call back every detractor")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_reads_an_improvement_plans_before_and_after_on_the_dashboard(page, live_server, roles):
    boss = UserFactory(username="boss", first_name="Bo", last_name="Boss", groups=[MANAGERS])
    plan = plan_with_a_measured_effect(boss)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/reports/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")

    expect_the_plans_effect(page, plan)
    row = page.locator(f'.report-actions tr[data-action="{plan.pk}"]')
    expect(row).to_contain_text("Bo Boss")
    # The start is marked on the trend chart, which was drawn.
    expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "1")
    assert "Call back every detractor" in page.locator("#trend-data").text_content()
