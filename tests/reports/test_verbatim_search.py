"""Comments on the dashboard: searched case-insensitively and paged 20 at a time."""

from datetime import timedelta

import pytest
from django.urls import reverse

from surveys import models as m
from tests.factories import QuestionFactory
from tests.reports.conftest import PERIOD, START
from tests.reports.helpers import at, response, ticket

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("surveys:reports")


@pytest.fixture
def comments(scenario):
    """25 comments "note 00" … "note 24" (newest last), three of them about the Invoice."""
    question = QuestionFactory(
        questionnaire=scenario["campaign"].questionnaire, key="comment2", kind=m.QuestionKind.TEXT
    )
    for i in range(25):
        day = at(START + timedelta(days=2), hour=0) + timedelta(minutes=i)
        made = response(ticket(day, agent=scenario["smith"]), day, campaign=scenario["campaign"], nps=5)
        text = f"note {i:02d}" + (" the INVOICE was wrong" if i % 10 == 3 else "")
        m.Answer.objects.create(response=made, question=question, kind=m.QuestionKind.TEXT, text=text)


def notes(html: str) -> list[str]:
    # Each comment is the link to its response page.
    return sorted(part[:7] for part in html.split("data-response-link>")[1:] if part.startswith("note "))


def test_first_page_has_20_newest_and_a_link_to_older(manager_client, comments):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}").content.decode()
    assert notes(html) == [f"note {i:02d}" for i in range(5, 25)]
    assert 'rel="next" data-page="2"' in html and 'rel="prev"' not in html


def test_second_page_has_the_rest(manager_client, comments):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&page=2").content.decode()
    assert notes(html) == [f"note {i:02d}" for i in range(5)]
    assert "slow" in html  # the scenario's older comment, last
    assert 'rel="prev" data-page="1"' in html and 'rel="next"' not in html


def test_search_is_case_insensitive_contains(manager_client, comments):
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&q=invoice").content.decode()
    assert notes(html) == ["note 03", "note 13", "note 23"]
    assert 'value="invoice"' in html
    html = manager_client.get(f"{DASHBOARD}?{PERIOD}&q=nothing+like+this").content.decode()
    assert notes(html) == [] and "No comment contains this text." in html


@pytest.mark.parametrize("query", ["page=0", "page=x", "page=-1", "page=99999999999", "page=²", "q=" + "a" * 201])
def test_junk_page_or_search_is_a_400(manager_client, scenario, query):
    response = manager_client.get(f"{DASHBOARD}?{PERIOD}&{query}")
    assert response.status_code == 400
    assert ("page" if query.startswith("page") else "q") in response.content.decode()


@pytest.mark.parametrize(
    "spec",
    [{}, {"agent": "smith"}, {"team": "team_b"}, {"campaign": "campaign"}, {"category": "billing"}],
)
@pytest.mark.parametrize("band", ["", "detractors", "promoters"])
def test_verbatims_are_the_answers_of_the_periods_responses(scenario, comments, spec, band):
    """The period is also a condition on the joined response (so the newest page is read from
    the started_at index): the same answers, in the same order, as ``response__in`` the
    period's responses alone."""
    from surveys.reports.filters import ReportFilters
    from surveys.reports.sections import SCORE_BANDS, verbatims

    values = {k: (scenario[v].pk if k != "category" else v) for k, v in spec.items()}
    for start, end in (
        (START, START + timedelta(days=7)),
        (START - timedelta(days=30), START + timedelta(days=3)),
    ):
        filters = ReportFilters(start=start, end=end, **values)
        want = m.Answer.objects.filter(
            kind=m.QuestionKind.TEXT, response__in=filters.responses().values("pk")
        )
        want = want.exclude(text="").order_by("-response__started_at", "-pk")
        if band:
            want = want.filter(SCORE_BANDS[band][1])
        for limit, offset in ((50, 0), (5, 0), (5, 5)):
            got = [a.pk for a in verbatims(filters, band, limit, offset=offset)]
            assert got == [a.pk for a in want[offset:limit]]
