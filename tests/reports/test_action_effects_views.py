"""Improvement plans on the dashboard, the printable summary and the summary API."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from surveys import models as m
from tests.factories import TeamFactory
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)
STARTED = date(2026, 3, 21)
BEFORE = [0, 3, 6, 6, 8, 9]  # promoters 1, detractors 4: NPS −50
AFTER = [9, 10, 10, 9, 10, 9]  # NPS 100; +150 is far beyond 1.96 × SE (61.3)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 31, 12, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def plans(manager):
    manager.first_name, manager.last_name = "Mia", "Manager"
    manager.save()
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    for day, scores in ((STARTED - timedelta(days=4), BEFORE), (STARTED + timedelta(days=4), AFTER)):
        for score in scores:
            response(ticket(at(day), team=north), at(day, 10), nps=score, csat=5)
    for score in [0, 0, 0, 0, 0, 0]:  # another team's answers: in no figure of the plan
        response(ticket(at(STARTED), team=south), at(STARTED, 10), nps=score)
    nps_plan = m.ImprovementAction.objects.create(
        title="Call back every detractor",
        goal="NPS of team North at 40 or more.",
        measures="A daily call-back rota.",
        metric=m.Metric.NPS,
        team=north,
        target_value=Decimal("40"),
        owner=manager,
        started_on=STARTED,
        due_on=STARTED + timedelta(days=5),
        status=m.ImprovementStatus.IN_PROGRESS,
    )
    csat_plan = m.ImprovementAction.objects.create(
        title="Plainer invoices",
        goal="CSAT on billing above 90 %.",
        metric=m.Metric.CSAT,
        category="billing",
        target_comparison=m.Comparison.GT,
        target_value=Decimal("90"),
        started_on=STARTED,
        status=m.ImprovementStatus.DONE,
    )
    for _ in range(3):  # after: n = 3, below the minimum sample
        response(ticket(at(STARTED), category="billing"), at(STARTED, 11), csat=5)
    return {"nps": nps_plan, "csat": csat_plan, "north": north}


def _row(html: str, action) -> str:
    start = html.index(f'data-action="{action.pk}"')
    return html[start : html.index("</tr>", start)]


def test_the_dashboard_shows_each_plans_before_after_change_target_and_the_overdue_ones(manager_client, plans):
    html = manager_client.get(reverse("surveys:reports")).content.decode()
    row = _row(html, plans["nps"])
    assert "-50 <span" in row and "n = 6" in row and "2026-03-11 – 2026-03-21" in row
    assert "100 <span" in row and "2026-03-21 – 2026-03-31" in row
    assert "+150" in row and "significant" in row
    assert "✔ reached" in row and "≥ 40" in row
    assert "data-overdue" in row and "Mia Manager" in row and "<td>NPS · North</td>" in row
    too_few = _row(html, plans["csat"])
    assert "too few to compare" in too_few and "too few to tell" in too_few and "n = 3" in too_few
    assert "data-overdue" not in too_few  # done, and no due day
    overdue = html[html.index("data-overdue-list") :]
    assert "Call back every detractor — due 2026-03-26" in overdue.split("</ul>")[0]
    assert "Plainer invoices" not in overdue.split("</ul>")[0]


def test_an_agent_sees_the_plans_but_no_team_figures(agent_client, plans):
    html = agent_client.get(reverse("surveys:reports")).content.decode()
    row = _row(html, plans["nps"])
    assert "Team figures are not shown in your own report." in row
    assert "-50" not in row and "+150" not in row


def test_the_printable_summary_lists_goals_owners_dates_and_measured_effect(manager_client, plans):
    page = manager_client.get(reverse("surveys:reports_summary"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "6. Improvement actions and their measured effect" in html
    row = _row(html, plans["nps"])
    assert "NPS of team North at 40 or more." in row and "A daily call-back rota." in row
    assert "Mia Manager" in row and "started 2026-03-21" in row and "due 2026-03-26" in row
    assert "+150" in row and "✔ reached" in row
    assert "Plainer invoices" in html  # finished actions are in the summary too


def test_the_summary_api_gives_each_plan_with_its_raw_effect(manager_client, plans):
    data = manager_client.get(reverse("surveys:api_metrics_summary")).json()
    by_title = {a["title"]: a for a in data["improvement_actions"]}
    nps = by_title["Call back every detractor"]
    assert nps == {
        "id": plans["nps"].pk,
        "title": "Call back every detractor",
        "goal": "NPS of team North at 40 or more.",
        "measures": "A daily call-back rota.",
        "metric": "nps",
        "scope": {"campaign": None, "team": plans["north"].pk, "category": "", "channel": ""},
        "owner": "manager",
        "started_on": "2026-03-21",
        "due_on": "2026-03-26",
        "status": "in_progress",
        "overdue": True,
        "target": {"value": 40.0, "comparison": "gte", "reached": True},
        "effect": {
            "days": 10,
            "before": {"start": "2026-03-11", "end": "2026-03-21", "value": -50.0, "n": 6},
            "after": {"start": "2026-03-21", "end": "2026-03-31", "value": 100.0, "n": 6},
            "change": 150.0,
            "significant": True,
            "too_few_to_compare": False,
        },
    }
    csat = by_title["Plainer invoices"]["effect"]
    assert csat["after"]["n"] == 3 and csat["change"] is None and csat["significant"] is None
    assert csat["too_few_to_compare"] is True
    assert by_title["Plainer invoices"]["target"]["reached"] is None


def test_an_agents_api_answer_carries_no_effect(agent_client, plans):
    data = agent_client.get(reverse("surveys:api_metrics_summary")).json()
    assert {a["effect"] is None for a in data["improvement_actions"]} == {True}


def test_the_schema_describes_the_improvement_actions(client, db):
    text = client.get(reverse("surveys:api_schema"), HTTP_ACCEPT="application/json").content.decode()
    assert "ImprovementAction" in text and "too_few_to_compare" in text


def test_the_admin_refuses_a_target_without_a_metric_with_a_clear_message(admin_client):
    url = reverse("admin:surveys_improvementaction_add")
    form = {
        "title": "Plan",
        "goal": "Better",
        "started_on": "2026-03-21",
        "status": "planned",
        "metric": "",
        "target_comparison": "gte",
        "target_value": "40",
    }
    page = admin_client.post(url, form)
    assert page.status_code == 200
    assert "A target value needs the metric it is a value of." in page.content.decode()
    assert not m.ImprovementAction.objects.exists()
    saved = admin_client.post(url, form | {"metric": "nps", "category": "billing"})
    assert saved.status_code == 302
    assert m.ImprovementAction.objects.get().category == "billing"
