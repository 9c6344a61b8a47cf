"""Every surface that shows a change — dashboard, summary report, admin campaign figures,
weekly digest and summary API — shows the same one, and none when either period holds fewer
than REPORT_MIN_SAMPLE answers ("too few to compare")."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from surveys.reports.admin_figures import campaign_detail_html
from surveys.reports.digest import digest_content
from surveys.reports.filters import site_today
from tests.factories import CampaignFactory
from tests.reports.conftest import END, START
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

CURRENT = [10] * 8 + [0] * 2  # NPS 60, p 0.8, d 0.2, variance 1 − 0.36 = 0.64; CSAT 8 of 10
PREVIOUS = [10] * 2 + [0] * 8  # NPS −60, variance 0.64; CSAT 2 of 10
# Hand-computed: NPS SE = 100 × √(0.64/10 + 0.64/10) = 35.78, 1.96 × SE = 70.1 < 120;
# CSAT pooled 0.5, SE = 100 × √(0.25 × 0.2) = 22.36, 1.96 × SE = 43.8 < 60: both significant.


def _answers(day, scores, campaign):
    for score in scores:
        response(ticket(at(day)), at(day), campaign=campaign, nps=score, csat=5 if score >= 9 else 1)


def _build(current_day, previous_day, previous_scores):
    campaign = CampaignFactory(name="Compared")
    _answers(current_day, CURRENT, campaign)
    _answers(previous_day, previous_scores, campaign)
    return campaign


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _dashboard(client, _campaign):
    html = client.get(f"{reverse('surveys:reports')}?start={START}&end={END}").content.decode()
    start = html.index('data-metric="nps"')
    return _text(html[start : html.index('data-metric="csat"', start)])


def _summary(client, _campaign):
    html = client.get(f"{reverse('surveys:reports_summary')}?start={START}&end={END}").content.decode()
    start = html.index('<tr data-metric="nps"')
    return _text(html[start : html.index("</tr>", start)])


def _digest(_client, _campaign):
    body = digest_content(today=END)["text"]
    return next(line for line in body.splitlines() if line.startswith("NPS:"))


def _admin(_client, campaign):
    html = campaign_detail_html(campaign)
    start = html.index(">NPS<")
    return _text(html[start : html.index("</tr>", start)])


SURFACES = {"dashboard": _dashboard, "summary": _summary, "digest": _digest, "admin": _admin}


def _days(surface):
    """The admin shows the last 90 days (today included); the others the week from START."""
    if surface == "admin":
        today = site_today()
        return today - timedelta(days=1), today - timedelta(days=100)
    return START + timedelta(days=1), START - timedelta(days=3)


@pytest.mark.parametrize("surface", SURFACES)
def test_a_significant_change_is_marked_the_same_on_every_surface(manager_client, surface):
    current_day, previous_day = _days(surface)
    campaign = _build(current_day, previous_day, PREVIOUS)
    text = SURFACES[surface](manager_client, campaign)
    assert "+120" in text and "(n = 10)" in text and "significant" in text
    assert "too few" not in text


@pytest.mark.parametrize("surface", SURFACES)
def test_one_answer_in_the_previous_period_is_too_few_to_compare(manager_client, surface):
    current_day, previous_day = _days(surface)
    campaign = _build(current_day, previous_day, [0])
    text = SURFACES[surface](manager_client, campaign)
    assert "too few to compare (previous n = 1)" in text
    assert "significant" not in text and "vs previous period" not in text and "+160" not in text


@pytest.mark.parametrize("surface", SURFACES)
def test_too_few_in_this_period_is_too_few_to_compare(manager_client, surface, settings):
    settings.REPORT_MIN_SAMPLE = 11  # this period holds 10 answers, the previous one 10
    current_day, previous_day = _days(surface)
    campaign = _build(current_day, previous_day, PREVIOUS)
    text = SURFACES[surface](manager_client, campaign)
    assert "too few to compare (previous n = 10)" in text and "significant" not in text


def test_the_api_gives_change_significance_and_both_n(manager_client):
    _build(START + timedelta(days=1), START - timedelta(days=3), PREVIOUS)
    url = f"{reverse('surveys:api_metrics_summary')}?start={START}&end={END}"
    comparison = manager_client.get(url).json()["comparison"]
    assert comparison["previous_period"] == {"start": "2026-02-23", "end": "2026-03-02"}
    assert comparison["min_sample"] == 5
    nps = comparison["metrics"]["nps"]
    assert nps | {"change": round(nps["change"], 6)} == {
        "value": 60.0,
        "n": 10,
        "previous": -60.0,
        "previous_n": 10,
        "change": 120.0,
        "significant": True,
        "too_few_to_compare": False,
        "target": None,
    }
    csat = comparison["metrics"]["csat"]
    assert (csat["change"], csat["significant"]) == (pytest.approx(60.0), True)
    # Ten tickets each side, all within SLA: no difference, nothing significant.
    assert comparison["metrics"]["sla_resolution"]["significant"] is False


def test_the_api_says_too_few_to_compare_with_both_n(manager_client):
    _build(START + timedelta(days=1), START - timedelta(days=3), [0])
    url = f"{reverse('surveys:api_metrics_summary')}?start={START}&end={END}"
    nps = manager_client.get(url).json()["comparison"]["metrics"]["nps"]
    assert (nps["n"], nps["previous_n"], nps["previous"]) == (10, 1, -100.0)
    assert nps["change"] is None and nps["significant"] is None and nps["too_few_to_compare"] is True


def test_a_target_is_not_judged_below_the_minimum_sample(manager_client):
    from surveys import models as m

    m.Target.objects.create(metric="nps", comparison="gte", value=40, period_start=START, period_end=END)
    campaign = CampaignFactory()
    _answers(START + timedelta(days=1), [0, 0, 0], campaign)
    url = f"{reverse('surveys:api_metrics_summary')}?start={START}&end={END}"
    target = manager_client.get(url).json()["comparison"]["metrics"]["nps"]["target"]
    assert target == {"value": 40.0, "comparison": "gte", "met": None, "significant": None}
    assert "too few to compare" in _dashboard(manager_client, campaign)
