"""The dashboard and the summary report: who may see what, small samples, escaping, queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys import models as m
from tests.factories import UserFactory
from tests.reports.conftest import END, PERIOD, START
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("surveys:reports")
SUMMARY = reverse("surveys:reports_summary")


def tile(html: str, metric: str) -> str:
    start = html.index(f'data-metric="{metric}"')
    return html[start : html.index("</div>\n    </div>", start)]


def test_manager_sees_tiles_with_n_and_margin(manager_client, scenario):
    response = manager_client.get(f"{DASHBOARD}?{PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    nps = tile(html, "nps")
    assert "38" in nps and "±" in nps and "n = 8" in nps  # NPS 37.5, shown rounded
    assert "n = 8" in tile(html, "csat") and "50.0 %" in tile(html, "csat")
    assert "Agent Smith" in html and "Beth" in html
    assert 'id="trend-chart"' in html and 'id="trend-data"' in html


def test_superuser_sees_everything(scenario):
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))
    html = client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    assert "n = 8" in tile(html, "nps")


def test_agent_sees_only_own_figures_whatever_the_url(agent_client, scenario):
    response = agent_client.get(f"{DASHBOARD}?{PERIOD}&agent={scenario['beth'].pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "n = 6" in tile(html, "nps")
    assert "Beth" not in html
    assert 'name="agent"' not in html  # no agent picker for an agent


def test_agent_login_without_agent_record_is_forbidden(roles):
    from surveys.roles import AGENTS

    client = Client()
    client.force_login(UserFactory(username="lonely", groups=[AGENTS]))
    assert client.get(DASHBOARD).status_code == 403


@pytest.mark.parametrize("persona", ["designer_client", "outsider_client"])
@pytest.mark.parametrize("url", [DASHBOARD, SUMMARY])
def test_designer_and_outsider_are_forbidden(request, persona, url, roles):
    assert request.getfixturevalue(persona).get(url).status_code == 403


@pytest.mark.parametrize("url", [DASHBOARD, SUMMARY])
def test_anonymous_is_sent_to_login(db, url):
    response = Client().get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_small_samples_show_a_dash_and_their_n(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&team={scenario['team_b'].pk}").content.decode()
    nps = tile(html, "nps")
    assert "—" in nps and "n = 2" in nps and "too few to show" in nps
    assert "0 ±" not in nps


def test_bad_filters_are_a_400_with_the_reason(manager_client, roles):
    response = manager_client.get(f"{DASHBOARD}?start=2026-03-09&end=2026-03-01")
    assert response.status_code == 400
    assert "The end date must be after the start date." in response.content.decode()
    assert manager_client.get(f"{DASHBOARD}?team=x").status_code == 400


def test_verbatims_are_escaped(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; slow" in html
    assert "<script>alert(1)</script>" not in html


def test_verbatims_filter_by_score_band(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&band=promoters").content.decode()
    assert "alert(1)" not in html  # the comment came with NPS 3
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&band=detractors").content.decode()
    assert "alert(1)" in html


def test_breaches_are_listed_worst_first(manager_client, scenario):
    day = at(START + timedelta(days=2))
    ticket(day, external_id="LATE-1", res_s=30 * 3600)
    ticket(day, external_id="LATE-2", res_s=50 * 3600)
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    breaches = html[html.index('class="table table-sm small report-breaches"') :]
    assert breaches.index("LATE-2") < breaches.index("LATE-1")


def _breach_rows(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    return html[html.index('class="table table-sm small report-breaches"') :], len(ctx.captured_queries)


def test_a_breach_row_shows_its_ticket_without_loading_it_again(manager_client, scenario):
    # The list reads only the columns its rows show (counts.BREACH_FIELDS): a column it
    # leaves out would be loaded by a query per row.
    day = at(START + timedelta(days=2))
    beth = m.Agent.objects.get(name="Beth")
    ticket(day, external_id="LATE-1", res_s=30 * 3600, agent=beth, team=beth.team, priority=m.Priority.HIGH)
    rows, queries = _breach_rows(manager_client)
    row = rows[rows.index("LATE-1") : rows.index("</tr>", rows.index("LATE-1"))]
    assert ">High<" in row and ">Team B<" in row and ">Beth<" in row
    assert ">1.0 h<" in row and ">1.3 d<" in row and ">6.0 h<" in row  # response, resolution, over
    for n in (2, 3):
        ticket(day, reference=f"REF-{n}", external_id=f"LATE-{n}", res_s=(30 + n) * 3600)
    rows, more = _breach_rows(manager_client)
    assert "REF-2" in rows and "REF-3" in rows and "LATE-3" not in rows  # the reference first
    assert more == queries


def test_targets_show_on_tiles(manager_client, scenario):
    m.Target.objects.create(metric="nps", comparison="gte", value=40, period_start=START, period_end=END)
    nps = tile(manager_client.get(f"{DASHBOARD}?{PERIOD}").content.decode(), "nps")
    assert "Target ≥ 40" in nps and "missed" in nps


def test_funnel_counts(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    funnel = html[html.index("report-funnel") :]
    assert 'Tickets closed</th><td class="text-end">8<' in funnel
    assert 'Answered (at any time)</th><td class="text-end">8<' in funnel


def _grow(scenario, count):
    day = at(START + timedelta(days=3))
    for i in range(count):
        t = ticket(day, agent=scenario["beth"], team=scenario["team_b"], category=f"cat{i}", channel=f"ch{i}")
        response(t, day, nps=i % 11, csat=1 + i % 5)


@pytest.mark.parametrize("url", [DASHBOARD, SUMMARY])
def test_queries_do_not_grow_with_data(manager_client, scenario, url):
    manager_client.get(f"{url}?{PERIOD}")  # warm the option cache
    with CaptureQueriesContext(connection) as before:
        assert manager_client.get(f"{url}?{PERIOD}").status_code == 200
    _grow(scenario, 12)
    with CaptureQueriesContext(connection) as after:
        assert manager_client.get(f"{url}?{PERIOD}").status_code == 200
    assert len(after) == len(before)
    assert len(after) <= 40  # PostgreSQL: ≤ 30 (tested in test_postgres_queries)


@pytest.mark.postgres
def test_dashboard_needs_at_most_30_queries_on_postgres(manager_client, scenario):
    with CaptureQueriesContext(connection) as ctx:
        manager_client.get(f"{DASHBOARD}?{PERIOD}")
    assert len(ctx) <= 30


def test_summary_report_shows_goals_results_and_actions(manager_client, scenario):
    m.Target.objects.create(metric="csat", comparison="gte", value=80, period_start=START, period_end=END)
    m.ImprovementAction.objects.create(title="Call back detractors", goal="Lower churn", started_on=START)
    html = manager_client.get(f"{SUMMARY}?{PERIOD}").content.decode()
    assert "CSAT %" in html and "≥ 80" in html
    assert "After support" in html  # the campaign, under method
    assert "Call back detractors" in html
    assert "n = 8" not in html and ">8<" in html
