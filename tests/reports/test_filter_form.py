"""The dashboard's filter form: chosen values shown as chosen, errors beside their field."""

import re

import pytest
from django.urls import reverse

from tests.reports.conftest import PERIOD

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("surveys:reports")
SUMMARY = reverse("surveys:reports_summary")


def selected(html: str, name: str) -> list[str]:
    """The labels of the selected options of the select named ``name``."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option [^>]*selected[^>]*>([^<]*)</option>", select)


def test_unknown_channel_is_shown_chosen_with_empty_figures(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&channel=fax").content.decode()
    assert selected(html, "channel") == ["fax"]
    nps = html[html.index('data-metric="nps"') :][:600]
    assert "—" in nps and "n = 8" not in nps


def test_unknown_team_id_is_shown_chosen(manager_client, scenario):
    html = manager_client.get(f"{SUMMARY}?{PERIOD}&team=987654").content.decode()
    assert selected(html, "team") == ["#987654"]


def test_known_values_keep_their_names(manager_client, scenario):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&channel=email&category=billing").content.decode()
    assert selected(html, "channel") == ["email"]
    assert selected(html, "category") == ["billing"]
    assert selected(html, "segment") == []


def test_end_before_start_is_shown_beside_end_with_400(manager_client, scenario):
    response = manager_client.get(f"{DASHBOARD}?start=2026-03-09&end=2026-03-01&channel=email")
    assert response.status_code == 400
    html = response.content.decode()
    assert "__all__" not in html
    end = html[html.index('for="f-end"') : html.index('for="f-campaign"')]
    assert "is-invalid" in end and 'aria-invalid="true"' in end
    assert '<div class="invalid-feedback" id="f-end-error">The end date must be after the start date.</div>' in end
    assert 'value="2026-03-09"' in html and 'value="2026-03-01"' in html  # what was typed stays
    assert selected(html, "channel") == ["email"]
    start = html[html.index('for="f-start"') : html.index('for="f-end"')]
    assert "is-invalid" not in start


def test_bad_team_is_shown_beside_team_and_kept(manager_client, scenario):
    response = manager_client.get(f"{SUMMARY}?{PERIOD}&team=x")
    assert response.status_code == 400
    html = response.content.decode()
    team = html[html.index('for="f-team"') : html.index('for="f-agent"')]
    assert 'id="f-team-error"' in team and "Enter a whole number." in team
    assert selected(html, "team") == ["#x"]
