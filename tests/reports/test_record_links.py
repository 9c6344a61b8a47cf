"""Every comment, SLA breach and breakdown row on the dashboard (and the agent's comments on My
scores) opens something: its response page, its ticket page, the dashboard filtered to it."""

import html as htmllib
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.reports.conftest import PERIOD, START
from tests.reports.helpers import at, ticket

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("surveys:reports")


def links(html: str, marker: str) -> list[str]:
    return [htmllib.unescape(h) for h in re.findall(rf'href="([^"]*)" {marker}', html)]


def test_a_comment_opens_its_response_page(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    commented = scenario["a"][4]
    assert links(html, "data-response-link") == [reverse("surveys:report_response", args=[commented.pk])]
    page = manager_client.get(reverse("surveys:report_response", args=[commented.pk]))
    assert "slow" in page.content.decode()


def test_a_breach_opens_its_ticket_page(manager_client, scenario):
    late = ticket(
        at(START + timedelta(days=3)), agent=scenario["beth"], external_id="LATE-1", res_s=40 * 3600
    )
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    breaches = html[html.index("report-breaches") :]
    assert links(breaches, "data-ticket-link") == [reverse("surveys:report_ticket", args=[late.pk])]


def test_a_team_row_opens_the_dashboard_filtered_to_that_team_by_agent(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&by=team").content.decode()
    found = links(html, "data-breakdown-link")
    team_b = [href for href in found if f"team={scenario['team_b'].pk}" in href]
    assert len(found) == 2 and len(team_b) == 1
    assert f"start={START.isoformat()}" in team_b[0] and "by=agent" in team_b[0]
    opened = manager_client.get(f"{DASHBOARD}{team_b[0].split('#')[0]}").content.decode()
    table = opened[opened.index("report-sortable") :]
    assert "Beth" in table and "Agent Smith" not in table


def test_rows_with_nothing_to_filter_by_are_not_links(manager_client, scenario):
    ticket(at(START + timedelta(days=1)), agent=None, team=None)
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&by=agent").content.decode()
    table = html[html.index("report-sortable") : html.index("</table>", html.index("report-sortable"))]
    assert table.count("data-breakdown-link") == 2  # Agent Smith and Beth; the unassigned row is "—"
    assert '<th scope="row">—</th>' in table


def test_my_scores_comments_open_the_agents_own_response(agent_client, scenario):
    html = agent_client.get(f"{reverse('surveys:my_scores')}?{PERIOD}").content.decode()
    url = reverse("surveys:report_response", args=[scenario["a"][4].pk])
    assert links(html, "data-response-link") == [url]
    assert agent_client.get(url).status_code == 200
