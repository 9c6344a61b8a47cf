"""The report tags write what the template loop they replace wrote, escaping included."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from surveys.reports.figures import BREAKDOWN_COLUMNS
from surveys.templatetags.report_tags import breakdown_cells, driver_rows
from tests.reports.conftest import PERIOD

LOOP = (
    '{% for cell in cells %}<td class="text-end" data-value="{{ cell.sort_value }}">{{ cell.display }} '
    '<span class="text-body-secondary small">n={{ cell.n_display }}</span></td>{% endfor %}'
)


def test_breakdown_cells_are_the_template_loop_they_replace():
    cells = [
        {"sort_value": "12.345678", "display": "12.3 %", "n_display": "123"},
        {"sort_value": "", "display": "—", "n_display": "0"},
        {"sort_value": '"><script>', "display": "<b>'x' & \"y\"</b>", "n_display": "1,234"},
        {"sort_value": -1.5, "display": "2.0 h", "n_display": 7},
    ]
    expected = Template(LOOP).render(Context({"cells": cells}))
    assert breakdown_cells(cells) == expected
    assert "<script>" not in breakdown_cells(cells)
    assert breakdown_cells([]) == ""


@pytest.mark.django_db
def test_the_dashboards_breakdown_shows_each_cell_with_its_n(manager_client, scenario):
    html = manager_client.get(f"{reverse('surveys:reports')}?{PERIOD}").content.decode()
    table = html[html.index("report-sortable") :]
    row = table[table.index("Beth") :]
    row = row[: row.index("</tr>")]
    assert row.count('<td class="text-end" data-value="') == len(BREAKDOWN_COLUMNS)
    assert row.count("n=") == len(BREAKDOWN_COLUMNS)


DRIVER_LOOP = (
    '{% for row in rows %}<tr><th scope="row">{{ row.label }}</th>'
    '<td class="text-end">{{ row.nps_display }} <span class="text-body-secondary">n={{ row.nps_n }}</span></td>'
    '<td class="text-end">{{ row.csat_display }} <span class="text-body-secondary">n={{ row.csat_n }}</span></td>'
    "</tr>{% endfor %}"
)


@pytest.mark.parametrize("grouping", [False, True])
def test_driver_rows_are_the_template_loop_they_replace(settings, grouping):
    settings.USE_THOUSAND_SEPARATOR = grouping
    rows = [
        {"label": "Agent 33", "nps_display": "78", "nps_n": 9, "csat_display": "100.0 %", "csat_n": 12345},
        {"label": "<img src=x onerror=alert(1)> & 'Bob'", "nps_display": "—", "nps_n": 0, "csat_display": "—", "csat_n": 0},
    ]
    expected = Template(DRIVER_LOOP).render(Context({"rows": rows}))
    assert driver_rows(rows) == expected
    assert "<img" not in driver_rows(rows)
