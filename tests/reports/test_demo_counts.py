"""On the demo data (``manage.py seed_demo``), counts that look alike agree, or differ only by
the date that puts a record in the period (docs/metrics.md, "Which date puts a record in a
period"): the admin's 30-day n is the dashboard's n; the funnel's "answered" counts the
invitations of tickets closed in the period, the NPS n the answers recorded in it."""

from dataclasses import replace
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from surveys import models as m
from surveys.demo import demo_delete
from surveys.demo.constants import DEMO_LINEAGE
from surveys.reports.admin_figures import campaign_row_figures, campaigns_with_figures, window
from surveys.reports.figures import summary
from surveys.reports.sections import funnel

ANCHOR = datetime(2026, 11, 18, tzinfo=ZoneInfo("UTC"))
TODAY = ANCHOR.date()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One committed demo build, deleted afterwards."""
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock():
        patch.setattr("surveys.demo.seed.demo_anchor", lambda: ANCHOR)
        try:
            call_command("seed_demo", stdout=StringIO())
            campaign = m.Campaign.objects.get(questionnaire__lineage=DEMO_LINEAGE)
            yield {"campaign": campaign, "filters": replace(window(today=TODAY), campaign=campaign.pk)}
        finally:
            demo_delete()


def _closed_in(ticket, low, high) -> bool:
    moment = ticket.closed_at or ticket.resolved_at
    return moment is not None and low <= moment < high


def test_the_admins_30_day_n_is_the_dashboards_n(demo, db):
    figures = summary(demo["filters"])
    annotated = campaigns_with_figures(m.Campaign.objects.filter(pk=demo["campaign"].pk), today=TODAY).get()
    admin = campaign_row_figures(annotated)
    assert admin["nps"][1] == figures["nps"]["n"] > 100
    assert admin["csat"][1] == figures["csat"]["n"]
    assert admin["response_rate"][1] == figures["response_rate"]["sent"]
    assert admin["complaint_rate"][1] == figures["complaint_rate"]["tickets"]
    assert admin["nps"][0] == pytest.approx(figures["nps"]["value"])


def test_nps_n_counts_answers_by_answer_date_and_the_funnel_invitations_by_closure(demo, db):
    filters = demo["filters"]
    low, high = filters.bounds
    invitations = list(
        m.Invitation.objects.filter(campaign=demo["campaign"]).select_related("ticket", "response")
    )
    responses = [i.response for i in invitations if hasattr(i, "response")]
    by_answer = {r.pk for r in responses if r.nps_score is not None and low <= r.started_at < high}
    by_closure = {r.pk for r in responses if _closed_in(r.invitation.ticket, low, high)}

    nps_n = summary(filters)["nps"]["n"]
    answered = funnel(filters, 0)["answered"]

    assert nps_n == len(by_answer)
    assert answered == len(by_closure)
    # The two differ only by dates: every answer in one count and not the other was recorded
    # on the other side of a period bound than its ticket's closure.
    assert not m.Response.objects.filter(
        nps_score__isnull=True, invitation__campaign=demo["campaign"]
    ).exists()
    for response in m.Response.objects.filter(pk__in=by_answer ^ by_closure).select_related(
        "invitation__ticket"
    ):
        in_by_answer = low <= response.started_at < high
        assert in_by_answer != _closed_in(response.invitation.ticket, low, high)
    assert nps_n == answered - len(by_closure - by_answer) + len(by_answer - by_closure)
    assert by_answer ^ by_closure  # the demo does hold both kinds of late answer


def test_the_dashboard_says_which_date_counts_each_figure(demo, manager_client):
    filters = demo["filters"]
    html = manager_client.get(f"{reverse('surveys:reports')}?{filters.querystring()}").content.decode()
    assert "survey scores (NPS, CSAT, CES) the day the answer was first recorded" in html
    assert "The invitations of the tickets closed in the period" in html
    assert "Answered (at any time)" in html
