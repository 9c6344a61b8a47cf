"""Date presets on the filter form: ranges at month and quarter edges, in the site's time zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from surveys.reports.filters import site_today
from surveys.reports.presets import date_presets

DASHBOARD = reverse("surveys:reports")


def ranges(today: date) -> dict[str, tuple[date, date]]:
    return {key: (start, end) for key, _label, start, end in date_presets(today)}


def test_first_day_of_a_quarter():
    got = ranges(date(2027, 1, 1))
    assert got["7d"] == (date(2026, 12, 26), date(2027, 1, 2))
    assert got["30d"] == (date(2026, 12, 3), date(2027, 1, 2))
    assert got["90d"] == (date(2026, 10, 4), date(2027, 1, 2))
    assert got["month"] == (date(2027, 1, 1), date(2027, 1, 2))
    assert got["last-month"] == (date(2026, 12, 1), date(2027, 1, 1))
    assert got["quarter"] == (date(2027, 1, 1), date(2027, 1, 2))
    assert got["last-quarter"] == (date(2026, 10, 1), date(2027, 1, 1))


def test_last_day_of_a_quarter_in_a_leap_year():
    got = ranges(date(2028, 3, 31))
    assert got["month"] == (date(2028, 3, 1), date(2028, 4, 1))
    assert got["last-month"] == (date(2028, 2, 1), date(2028, 3, 1))
    assert got["quarter"] == (date(2028, 1, 1), date(2028, 4, 1))
    assert got["last-quarter"] == (date(2027, 10, 1), date(2028, 1, 1))
    assert got["7d"] == (date(2028, 3, 25), date(2028, 4, 1))


def test_mid_quarter():
    got = ranges(date(2026, 8, 15))
    assert got["quarter"] == (date(2026, 7, 1), date(2026, 8, 16))
    assert got["last-quarter"] == (date(2026, 4, 1), date(2026, 7, 1))
    assert got["last-month"] == (date(2026, 7, 1), date(2026, 8, 1))


def test_site_day_not_utc_day(settings):
    """Just past midnight UTC on 1 October it is still 30 September in New York."""
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(datetime(2026, 10, 1, 0, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        today = site_today()
    assert today == date(2026, 9, 30)
    got = ranges(today)
    assert got["month"] == (date(2026, 9, 1), date(2026, 10, 1))
    assert got["quarter"] == (date(2026, 7, 1), date(2026, 10, 1))
    assert got["last-quarter"] == (date(2026, 4, 1), date(2026, 7, 1))


@pytest.mark.django_db
def test_dashboard_links_keep_other_filters_and_mark_the_one_in_use(manager_client):
    got = ranges(site_today())
    start, end = got["quarter"]
    html = manager_client.get(f"{DASHBOARD}?start={start}&end={end}&channel=email").content.decode()
    assert f'href="?start={start}&amp;end={end}&amp;channel=email" data-preset="quarter" aria-current="true"' in html
    start, end = got["last-quarter"]
    assert f'href="?start={start}&amp;end={end}&amp;channel=email" data-preset="last-quarter">' in html
