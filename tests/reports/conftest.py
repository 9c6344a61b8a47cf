"""A small, known data set for the report views: two teams, two agents, one campaign."""

from datetime import date, timedelta

import pytest

from surveys import models as m
from tests.factories import AgentFactory, CampaignFactory, QuestionFactory, TeamFactory
from tests.reports.helpers import at, response, ticket

START = date(2026, 3, 2)
END = date(2026, 3, 9)
PERIOD = f"start={START.isoformat()}&end={END.isoformat()}"


@pytest.fixture
def scenario(agent_user):
    """Team A (agent "Agent Smith", the agent persona) and team B (agent "Beth"), in period:

    - A: 6 tickets, NPS 10,10,9,9,3,8 → promoters 4, detractors 1 → NPS 50; CSAT 5,5,4,4,2,1
    - B: 2 tickets, NPS 0, 10 (n = 2: below the minimum sample)
    Plus, outside the period, one ticket of team A whose scores must not count.
    """
    smith = m.Agent.objects.get(user=agent_user)
    team_a = TeamFactory(name="Team A")
    smith.team = team_a
    smith.save()
    team_b = TeamFactory(name="Team B")
    beth = AgentFactory(name="Beth", team=team_b)
    campaign = CampaignFactory(name="After support")
    comment = QuestionFactory(questionnaire=campaign.questionnaire, key="comment", kind=m.QuestionKind.TEXT)
    day = at(START + timedelta(days=1))
    made = {"a": [], "b": []}
    for nps, csat in zip([10, 10, 9, 9, 3, 8], [5, 5, 4, 4, 2, 1], strict=True):
        t = ticket(day, agent=smith, team=team_a, category="billing", channel="email")
        made["a"].append(response(t, day, campaign=campaign, nps=nps, csat=csat, ces=6))
    for nps in [0, 10]:
        t = ticket(
            day, agent=beth, team=team_b, category="technical", channel="chat", priority=m.Priority.HIGH
        )
        made["b"].append(response(t, day, campaign=campaign, nps=nps, csat=3))
    old = at(START - timedelta(days=20))
    response(ticket(old, agent=smith, team=team_a), old, campaign=campaign, nps=0, csat=1)
    m.Answer.objects.create(
        response=made["a"][4],
        question=comment,
        kind=m.QuestionKind.TEXT,
        text="<script>alert(1)</script> slow",
    )
    return {"smith": smith, "beth": beth, "team_a": team_a, "team_b": team_b, "campaign": campaign, **made}
