"""An agent's "My scores" page (/my-scores/): their own figures, comments and breaches, their
team's aggregate for context, and never another agent's name."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from surveys import models as m
from tests.factories import AgentFactory, UserFactory
from tests.reports.conftest import PERIOD, START
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

MY_SCORES = reverse("surveys:my_scores")


def tile(html: str, metric: str) -> str:
    start = html.index(f'data-metric="{metric}"')
    return html[start : html.index("</div>\n    </div>", start)]


@pytest.fixture
def teammate(scenario):
    """Carol, in the agent's team A: 4 detractors, a comment and an SLA breach of her own."""
    carol = AgentFactory(name="Carol Teammate", team=scenario["team_a"])
    day = at(START + timedelta(days=2))
    comment = scenario["campaign"].questionnaire.questions.get(key="comment")
    for i in range(4):
        t = ticket(day, agent=carol, team=scenario["team_a"], external_id=f"CAROL-{i}", res_s=30 * 3600)
        r = response(t, day, campaign=scenario["campaign"], nps=0, csat=1)
    m.Answer.objects.create(response=r, question=comment, kind=m.QuestionKind.TEXT, text="carol's customer")
    return carol


def test_agent_sees_own_scores_with_n_and_margin(agent_client, scenario, teammate):
    response_ = agent_client.get(f"{MY_SCORES}?{PERIOD}")
    assert response_.status_code == 200
    html = response_.content.decode()
    own = html[: html.index("data-team-figures")]
    nps = tile(own, "nps")
    assert "50" in nps and "±" in nps and "n = 6" in nps
    assert "n = 6" in tile(own, "csat") and "n = 6" in tile(own, "ces")
    assert 'id="trend-chart"' in html and 'id="trend-data"' in html


def test_team_figures_are_the_whole_teams_aggregate(agent_client, scenario, teammate):
    html = agent_client.get(f"{MY_SCORES}?{PERIOD}").content.decode()
    team = html[html.index("data-team-figures") :]
    # Smith's 6 answers and Carol's 4, not Beth's (team B): 4 promoters, 5 detractors of 10.
    assert "n = 10" in tile(team, "nps") and "-10" in tile(team, "nps")
    assert "Team A" in team


def test_no_other_agent_is_ever_named(agent_client, scenario, teammate):
    html = agent_client.get(
        f"{MY_SCORES}?{PERIOD}&agent={scenario['beth'].pk}&team={scenario['team_b'].pk}"
    ).content.decode()
    # Neither the teammate's name, her comment nor her tickets; nor the other team's agent.
    assert "carol" not in html.lower() and "Beth" not in html


def test_own_comments_and_breaches_with_ticket_and_date(agent_client, scenario, teammate):
    late = ticket(
        at(START + timedelta(days=3)),
        agent=scenario["smith"],
        team=scenario["team_a"],
        external_id="MINE-LATE",
        res_s=40 * 3600,
    )
    html = agent_client.get(f"{MY_SCORES}?{PERIOD}").content.decode()
    breaches = html[html.index("report-breaches") :]
    assert late.label in breaches
    comments = html[html.index("report-verbatims") :]
    assert "slow" in comments and "<script>alert(1)</script>" not in comments
    assert (START + timedelta(days=1)).isoformat() in comments
    assert scenario["a"][4].invitation.ticket.label in comments


def test_managers_and_unlinked_logins_have_no_own_scores(manager_client, roles):
    from surveys.roles import AGENTS

    assert manager_client.get(MY_SCORES).status_code == 403
    client = Client()
    client.force_login(UserFactory(username="loose", groups=[AGENTS], is_staff=False))
    assert client.get(MY_SCORES).status_code == 403


def test_bad_dates_are_a_400(agent_client):
    assert agent_client.get(f"{MY_SCORES}?start=2026-03-09&end=2026-03-02").status_code == 400
    assert agent_client.get(f"{MY_SCORES}?start=nonsense").status_code == 400


def test_anonymous_visitors_are_sent_to_the_login(client):
    assert client.get(MY_SCORES)["Location"].startswith("/login/")
