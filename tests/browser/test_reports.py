"""A manager logs in, sees the tiles and a drawn chart, filters by team and downloads a CSV and
a workbook."""

import csv
import io
from codecs import BOM_UTF8
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from surveys import models as m
from surveys.roles import MANAGERS
from tests.factories import AgentFactory, TeamFactory, UserFactory
from tests.reports.helpers import response, ticket


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_reads_the_dashboard_filters_by_team_and_downloads_csv(page, live_server, roles):
    UserFactory(username="boss", groups=[MANAGERS])
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    ann, bob = AgentFactory(name="Ann", team=north), AgentFactory(name="Bob", team=south)
    now = timezone.now() - timedelta(hours=2)
    for agent, team, scores in ((ann, north, [10, 9, 9, 10, 8, 10]), (bob, south, [2, 3, 9, 6, 1])):
        for score in scores:
            response(ticket(now, agent=agent, team=team), now, nps=score, csat=5 if score > 8 else 2)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/reports/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")

    nps = page.locator('.report-tile[data-metric="nps"]')
    expect(nps).to_contain_text("n = 11")
    expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "1")
    # Chart.js drew on the canvas: some pixels are no longer transparent.
    painted = page.evaluate(
        """() => { const c = document.getElementById('trend-chart');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"""
    )
    assert painted > 1000

    page.select_option("#f-team", label="South")
    page.click("form[data-report-filters] button[type=submit]")
    expect(nps).to_contain_text("n = 5")
    assert f"team={south.pk}" in page.url
    expect(page.locator(".report-sortable tbody")).not_to_contain_text("Ann")

    with page.expect_download() as info:
        page.click('[data-export="responses-csv"]')
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(BOM_UTF8)  # what Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1 + 5
    agent_col = rows[0].index("agent")
    assert {row[agent_col] for row in rows[1:]} == {"Bob"}
    assert m.DataExport.objects.get().filters["team"] == south.pk

    with page.expect_download() as info:
        page.get_by_role("link", name="Responses (XLSX)").click()
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    header = [c.value for c in sheet[1]]
    started = [row[header.index("started_at")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(started) == 5 and all(isinstance(value, datetime) for value in started)
    assert sheet.freeze_panes == "A2"
