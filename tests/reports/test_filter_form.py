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
