"""Every report, API and export parameter, and the survey and opt-out pages, under hypothesis:
a 2xx/3xx or a clear 4xx, never a 5xx, and nothing stored by a refused request (issue 11)."""

from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import models as m
from surveys.reports.catalogue import METRICS
from surveys.reports.figures import BUCKETS, DIMENSIONS
from tests.factories import CampaignFactory, InvitationFactory, QuestionFactory

from .counts import count

pytestmark = pytest.mark.django_db
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

PARAMS = ["start", "end", "campaign", "team", "agent", "category", "priority", "channel", "segment",
          "metric", "bucket", "by", "band"]
values = st.one_of(
    st.dates().map(str),  # year 1 to 9999
    st.integers(-(2**70), 2**70).map(str),
    st.text(max_size=12),  # any code point, NUL and surrogates included
    st.sampled_from(["2000-01-01", "2100-01-01", "1999-12-31", "2026-02-30", "", "high", "nps", "week",
                     *METRICS, *BUCKETS, *DIMENSIONS, "detractors", "9223372036854775808"]),
)
queries = st.dictionaries(st.sampled_from(PARAMS), values, max_size=5)
SURFACES = [
    "/reports/", "/reports/summary/", "/reports/export/responses.csv", "/reports/export/tickets.xlsx",
    "/api/metrics/summary/", "/api/metrics/trend/", "/api/metrics/breakdown/",
]


def _query(params: dict) -> str:
    # Lone surrogates cannot be UTF-8: a client sends them as the bytes of their escape.
    return urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()})


@pytest.mark.parametrize("path", SURFACES)
def test_any_report_parameters_get_200_or_400(manager_client, path):
    @FUZZ
    @given(params=queries)
    def run(params):
        cache.clear()  # the API's rate limit counts these too
        response = manager_client.get(f"{path}?{_query(params)}")
        count(f"hypothesis GET {path}", response.status_code)
        assert response.status_code in (200, 400), (params, response.status_code)

    run()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/reports/?start=0001-01-01", 400),
        ("/reports/?end=0001-01-01", 400),
        ("/reports/summary/?start=2000-01-01&end=2000-02-01", 200),  # the previous period is 1999
        ("/api/metrics/summary/?start=9999-12-31", 400),
        ("/api/metrics/trend/?metric=nps&end=9999-12-31", 400),
        ("/api/metrics/breakdown/?metric=nps&by=team&team=99999999999999999999", 400),
        ("/reports/export/responses.csv?end=0001-01-01", 400),
        ("/reports/export/tickets.xlsx?start=2099-12-01&end=2100-01-01", 200),
        ("/reports/?category=%00", 400),
        ("/api/metrics/summary/?%00=1", 400),
    ],
)
def test_named_report_urls_answer_clearly(manager_client, url, status):
    response = manager_client.get(url)
    assert response.status_code == status, response.content[:300]
    if status == 400 and "start=" in url and "/api/" in url:
        assert "start" in response.json()["errors"]


@pytest.mark.parametrize(
    "url",
    ["/u/%00/", "/s/%00/", "/admin/surveys/ticket/?status__exact=%00", "/admin/surveys/customer/?q=%00",
     "/api/ticket-events/?x=%00", "/reports/%00/"],
)
def test_nul_in_path_or_query_is_400_before_the_database(admin_client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = admin_client.get(url)
    assert response.status_code == 400


def test_admin_list_filters_still_work_without_nul(admin_client):
    assert admin_client.get("/admin/surveys/ticket/?status__exact=closed").status_code == 200


@pytest.mark.parametrize("path", ["/u/{}/", "/s/{}/"])
@FUZZ
@given(token=st.text(max_size=80))
def test_any_token_is_a_page_or_404_never_500(client, path, token):
    response = client.get(path.format(quote(token.encode("utf-8", "surrogatepass"), safe="")))
    count(f"hypothesis GET {path.format('<token>')}", response.status_code)
    assert response.status_code in (200, 400, 404), (token, response.status_code)


form_values = st.one_of(
    st.text(max_size=40),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["0", "10", "11", "-1", "yes", "no", "slow", "billing", "score", "submit", "unsubscribe",
                     "snooze", "One-Click", "x" * 5000]),
)
survey_forms = st.dictionaries(
    st.sampled_from(["nps", "why", "csat", "ces", "stars", "topics", "solved", "complain", "comment", "action",
                     "lang", "List-Unsubscribe", "csrfmiddlewaretoken"]),
    form_values,
    max_size=6,
)


def _post(client, url, data):
    body = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in data.items()})
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def invitation(db):
    campaign = CampaignFactory()
    for order, (key, kind) in enumerate(
        [("nps", m.QuestionKind.NPS), ("csat", m.QuestionKind.CSAT), ("comment", m.QuestionKind.TEXT)]
    ):
        QuestionFactory(questionnaire=campaign.questionnaire, key=key, kind=kind, order=order)
    return InvitationFactory(campaign=campaign)


def test_any_survey_post_is_answered_without_5xx_and_refusals_store_nothing(client, invitation):
    url = f"/s/{invitation.token}/"

    @FUZZ
    @given(data=survey_forms)
    def run(data):
        cache.clear()  # the survey's rate limit would otherwise answer everything 429
        before = (m.Response.objects.count(), m.Answer.objects.count())
        response = _post(client, url, data)
        count("hypothesis POST /s/<token>/", response.status_code)
        assert response.status_code < 500, (data, response.status_code)
        if response.status_code >= 400:
            assert (m.Response.objects.count(), m.Answer.objects.count()) == before, data

    run()


def test_any_opt_out_post_is_answered_without_5xx_and_refusals_change_nothing(client, invitation):
    url = f"/u/{invitation.token}/"
    customer = invitation.customer

    @FUZZ
    @given(data=survey_forms)
    def run(data):
        before = m.Customer.objects.values("opted_out_at", "snoozed_until").get(pk=customer.pk)
        response = _post(client, url, data)
        count("hypothesis POST /u/<token>/", response.status_code)
        assert response.status_code < 500, (data, response.status_code)
        if response.status_code >= 400:
            assert m.Customer.objects.values("opted_out_at", "snoozed_until").get(pk=customer.pk) == before

    run()


def test_any_survey_page_parameters_get_a_page_never_5xx(client, invitation):
    url = f"/s/{invitation.token}/"

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(["lang", "score", "action", "next"]), values, max_size=3))
    def run(params):
        response = client.get(f"{url}?{_query(params)}")
        count("hypothesis GET /s/<token>/?<parameters>", response.status_code)
        assert response.status_code in (200, 400), (params, response.status_code)
        assert not m.Response.objects.exists()  # a GET never records anything

    run()
