"""The reports router: report reads go to the replica alias only inside reports_reads(), and
only when one is configured; writes and migrations never do."""

import pytest
from django.template.loader import render_to_string

from surveys import replica
from surveys.models import Response
from surveys.replica import REPORTS, ReportsRouter, reports_alias, reports_reads
from tests.fresh_process import fresh_settings


def _routers(**env) -> list[str]:
    return fresh_settings("s.DATABASE_ROUTERS", drop={"DATABASE_URL", "REPORTS_DATABASE_URL"}, **env)


def test_the_router_is_installed_only_with_a_replica():
    primary = "postgres://app@db.example.com:5432/surveys"
    assert _routers(DATABASE_URL=primary) == []
    with_url = _routers(DATABASE_URL=primary, REPORTS_DATABASE_URL=primary.replace("db.", "replica."))
    assert with_url == ["surveys.replica.ReportsRouter"]


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, REPORTS: dict(settings.DATABASES["default"])}


def test_without_a_replica_everything_reads_the_primary(settings):
    assert REPORTS not in settings.DATABASES
    with reports_reads():
        assert ReportsRouter().db_for_read(Response) is None
        assert reports_alias() == "default"


def test_report_reads_go_to_the_replica_and_nothing_else_does(with_replica):
    router = ReportsRouter()
    assert router.db_for_read(Response) is None  # outside a report
    with reports_reads():
        assert router.db_for_read(Response) == REPORTS
        assert reports_alias() == REPORTS
        assert router.db_for_write(Response) is None
    assert router.db_for_read(Response) is None  # the marker ends with the block
    assert router.allow_migrate(REPORTS, "surveys") is False
    assert router.allow_migrate("default", "surveys") is True


def test_the_view_decorator_marks_the_whole_view(with_replica):
    seen = []
    replica.reads_reports(lambda: seen.append(reports_alias()))()
    assert seen == [REPORTS] and reports_alias() == "default"


def test_freshness_line_names_the_replica_and_its_lag():
    html = render_to_string("reports/_freshness.html", {"freshness": {"replica": {"lag": 3}}})
    assert 'data-replica-lag="3"' in html and "3 seconds behind the primary" in html
    unknown = render_to_string("reports/_freshness.html", {"freshness": {"replica": {"lag": None}}})
    assert "lag behind the primary is unknown" in unknown
    assert render_to_string("reports/_freshness.html", {"freshness": None}).strip() == ""
