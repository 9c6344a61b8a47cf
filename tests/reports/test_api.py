"""The metrics API: shapes, units, filters, auth (session and token) and bad input."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys import models as m
from tests.factories import UserFactory
from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db

SUMMARY = reverse("surveys:api_metrics_summary")
TREND = reverse("surveys:api_metrics_trend")
BREAKDOWN = reverse("surveys:api_metrics_breakdown")


def test_summary_has_the_documented_shape_and_values(manager_client, scenario):
    data = manager_client.get(f"{SUMMARY}?{PERIOD}").json()
    assert set(data) == {
        "period",
        "nps",
        "csat",
        "ces",
        "response_rate",
        "complaint_rate",
        "first_response_time",
        "resolution_time",
        "fcr",
        "repeat_contact_rate",
        "sla",
        "comparison",
        "non_response",
        "set_aside_scanner",
        "improvement_actions",
    }
    assert data["set_aside_scanner"] == {"n": 0}
    assert data["improvement_actions"] == []
    assert data["period"] == {"start": "2026-03-02", "end": "2026-03-09"}
    assert set(data["nps"]) == {"value", "n", "promoters", "passives", "detractors", "moe"}
    assert set(data["csat"]) == {"value", "n", "mean", "low", "high"}
    assert set(data["ces"]) == {"mean", "n"}
    assert set(data["first_response_time"]) == {"mean_s", "median_s", "p90_s", "min_s", "max_s", "n"}
    assert set(data["sla"]) == {"response", "resolution"}
    # 8 answers: promoters 10,10,9,9,10 = 5; detractors 3,0 = 2 → NPS 100 × 3 / 8.
    assert data["nps"]["n"] == 8 and data["nps"]["value"] == pytest.approx(37.5)
    assert data["csat"]["value"] == pytest.approx(50.0)  # 4 of 8 answers are 4 or 5
    assert data["ces"] == {"mean": 6.0, "n": 6}
    assert data["complaint_rate"] == {"value": 0.0, "complaints": 0, "tickets": 8}
    assert data["first_response_time"]["median_s"] == 3600
    assert data["sla"]["response"] == {"value": 100.0, "met": 8, "n": 8}
    assert data["response_rate"] == {"value": 100.0, "sent": 8, "responses": 8}


def test_a_figure_with_no_data_is_null_never_zero(manager_client, roles):
    data = manager_client.get(f"{SUMMARY}?{PERIOD}").json()
    assert data["nps"]["value"] is None and data["nps"]["n"] == 0 and data["nps"]["moe"] is None
    assert data["csat"]["value"] is None and data["ces"]["mean"] is None
    assert data["first_response_time"]["median_s"] is None
    assert data["complaint_rate"]["value"] is None and data["response_rate"]["value"] is None
    assert data["sla"]["resolution"]["value"] is None


def test_filters_narrow_the_figures(manager_client, scenario):
    team_b = scenario["team_b"].pk
    data = manager_client.get(f"{SUMMARY}?{PERIOD}&team={team_b}").json()
    assert data["nps"]["n"] == 2 and data["nps"]["value"] == 0
    assert manager_client.get(f"{SUMMARY}?{PERIOD}&priority=high").json()["nps"]["n"] == 2
    assert manager_client.get(f"{SUMMARY}?{PERIOD}&category=billing").json()["nps"]["n"] == 6
    assert manager_client.get(f"{SUMMARY}?{PERIOD}&channel=chat").json()["complaint_rate"]["tickets"] == 2
    assert manager_client.get(f"{SUMMARY}?{PERIOD}&agent={scenario['beth'].pk}").json()["nps"]["n"] == 2
    campaign = scenario["campaign"].pk
    assert manager_client.get(f"{SUMMARY}?{PERIOD}&campaign={campaign}").json()["nps"]["n"] == 8
    assert manager_client.get(f"{SUMMARY}?{PERIOD}&segment=nobody").json()["nps"]["n"] == 0


def test_trend_gives_every_bucket_with_n(manager_client, scenario):
    data = manager_client.get(f"{TREND}?{PERIOD}&metric=nps&bucket=day").json()
    assert data["metric"] == "nps" and data["bucket"] == "day" and data["min_sample"] == 5
    assert [p["bucket"] for p in data["points"]][:2] == ["2026-03-02", "2026-03-03"]
    assert len(data["points"]) == 7
    assert data["points"][1] == {"bucket": "2026-03-03", "value": 37.5, "n": 8}
    assert data["points"][0] == {"bucket": "2026-03-02", "value": None, "n": 0}


def test_breakdown_by_agent(manager_client, scenario):
    data = manager_client.get(f"{BREAKDOWN}?{PERIOD}&metric=nps&by=agent").json()
    rows = {row["label"]: row for row in data["rows"]}
    assert rows["Agent Smith"]["n"] == 6 and rows["Agent Smith"]["value"] == pytest.approx(50.0)
    assert rows["Beth"] == {"key": str(scenario["beth"].pk), "label": "Beth", "value": 0.0, "n": 2}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-13-01", "start"),
        ("start=2026-03-09&end=2026-03-01", "__all__"),
        ("team=abc", "team"),
        ("priority=nope", "priority"),
        ("metric=bogus", "metric"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(manager_client, roles, query, field):
    url = TREND if "metric" in query else SUMMARY
    response = manager_client.get(f"{url}?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_breakdown_needs_a_known_dimension(manager_client, roles):
    response = manager_client.get(f"{BREAKDOWN}?metric=nps&by=shoe_size")
    assert response.status_code == 400 and "by" in response.json()["errors"]


def test_agents_read_only_their_own_figures(agent_client, scenario):
    data = agent_client.get(f"{SUMMARY}?{PERIOD}&agent={scenario['beth'].pk}").json()
    assert data["nps"]["n"] == 6  # Smith's, whatever the query asked for
    rows = agent_client.get(f"{BREAKDOWN}?{PERIOD}&metric=nps&by=agent").json()["rows"]
    assert [r["label"] for r in rows] == ["Agent Smith"]


@pytest.mark.parametrize("persona", ["designer_client", "outsider_client"])
def test_other_staff_are_forbidden(request, persona, roles):
    assert request.getfixturevalue(persona).get(SUMMARY).status_code == 403


def test_anonymous_is_refused(db):
    response = Client().get(SUMMARY)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert "nps" not in response.json()


def test_token_auth_reads_the_api_and_revoked_tokens_do_not(manager, scenario):
    token = m.ApiToken(user=manager, name="BI")
    key = token.set_new_key()
    token.save()
    client = Client()
    ok = client.get(f"{SUMMARY}?{PERIOD}", HTTP_AUTHORIZATION=f"Token {key}")
    assert ok.status_code == 200 and ok.json()["nps"]["n"] == 8
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert client.get(SUMMARY, HTTP_AUTHORIZATION="Token wrong").status_code == 401
    m.ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)
    assert client.get(SUMMARY, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_token_of_a_user_without_report_permission_is_forbidden(roles):
    user = UserFactory(username="nobody")
    token = m.ApiToken(user=user, name="x")
    key = token.set_new_key()
    token.save()
    assert Client().get(SUMMARY, HTTP_AUTHORIZATION=f"Token {key}").status_code == 403


def test_only_the_hash_of_a_token_is_stored(manager):
    token = m.ApiToken(user=manager, name="BI")
    key = token.set_new_key()
    token.save()
    assert key not in token.key_hash and token.prefix == key[:8]


def test_schema_describes_the_metrics_endpoints(db):
    response = Client().get(reverse("surveys:api_schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/metrics/summary/", "/api/metrics/trend/", "/api/metrics/breakdown/"):
        assert path in text
    assert "ApiToken" in text
