"""Rule evaluation: rolling-window edges, minimum n, cooldown, recovery, scope, built-ins."""

from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail

from surveys import models as m
from surveys.alert_messages import rule_message
from surveys.reports.windows import rule_figure
from surveys.services.alerts import alert_rule_evaluate, alert_rules_evaluate
from tests.factories import InvitationFactory, TeamFactory
from tests.reports.helpers import response, ticket

from .conftest import NOW, make_rule

pytestmark = pytest.mark.django_db

DELIVER = "surveys.services.alerts.alert_delivery_enqueue"


def nps_at(when, score, **kwargs):
    return response(ticket(NOW - timedelta(days=3)), when, nps=score, **kwargs)


def test_window_is_half_open_to_the_second():
    rule = make_rule()
    nps_at(NOW - timedelta(hours=24), 0)  # the first moment of the window: in
    nps_at(NOW - timedelta(seconds=1), 2)  # the last moment: in
    nps_at(NOW - timedelta(hours=24, seconds=1), 10)  # a second too early: out
    nps_at(NOW, 10)  # the end is exclusive: out

    figure = rule_figure(rule, now=NOW)

    assert (figure.value, figure.n) == (-100.0, 2)
    assert (figure.window_start, figure.window_end) == (NOW - timedelta(hours=24), NOW)
    assert figure.crossing is True


def test_below_the_minimum_sample_the_rule_is_not_judged_and_stays_silent(clock, django_capture_on_commit_callbacks):
    rule = make_rule(min_n=3)
    nps_at(NOW - timedelta(hours=1), 0)
    nps_at(NOW - timedelta(hours=2), 0)

    with patch(DELIVER) as deliver, django_capture_on_commit_callbacks(execute=True):
        assert alert_rules_evaluate() == 0
    rule.refresh_from_db()
    assert rule_figure(rule, now=NOW).crossing is None
    assert (rule.is_firing, rule.last_figure, rule.last_n, rule.last_evaluated_at) == (False, -100.0, 2, NOW)
    assert not m.AlertLog.objects.exists() and not deliver.called

    nps_at(NOW - timedelta(hours=3), 0)  # the third answer reaches the minimum
    with patch(DELIVER) as deliver, django_capture_on_commit_callbacks(execute=True):
        assert alert_rules_evaluate() == 1
    log = m.AlertLog.objects.get()
    assert (log.kind, log.figure, log.n) == (m.AlertLogKind.FIRED, -100.0, 3)
    assert (log.window_start, log.window_end) == (NOW - timedelta(hours=24), NOW)
    assert sorted(d.destination for d in log.deliveries.all()) == ["boss@example.com", "lead@example.com"]
    assert sorted(call.args[0] for call in deliver.call_args_list) == sorted(log.deliveries.values_list("pk", flat=True))


def test_fires_once_then_recovers_once_then_waits_out_the_cooldown(clock, django_capture_on_commit_callbacks):
    rule = make_rule(cooldown_minutes=60)
    bad = [nps_at(NOW - timedelta(minutes=30), 0), nps_at(NOW - timedelta(minutes=20), 3)]

    def evaluate():
        with patch(DELIVER), django_capture_on_commit_callbacks(execute=True):
            return alert_rules_evaluate()

    assert evaluate() == 1  # fired
    clock.shift(timedelta(minutes=5))
    assert evaluate() == 0  # still crossing: no second alert while firing

    for r in bad:  # the detractors change their minds
        m.Response.objects.filter(pk=r.pk).update(nps_score=10)
    clock.shift(timedelta(minutes=5))
    assert evaluate() == 1  # recovery notice
    clock.shift(timedelta(minutes=5))
    assert evaluate() == 0  # and only one

    m.Response.objects.filter(pk__in=[r.pk for r in bad]).update(nps_score=0)
    clock.shift(timedelta(minutes=5))  # 20 min after firing: inside the 60-min cooldown
    assert evaluate() == 0
    rule.refresh_from_db()
    assert rule.is_firing is False

    clock.shift(timedelta(minutes=40))  # 60 min after firing: the cooldown is over
    assert evaluate() == 1
    kinds = list(m.AlertLog.objects.order_by("fired_at").values_list("kind", "fired_at"))
    assert kinds == [
        (m.AlertLogKind.FIRED, NOW),
        (m.AlertLogKind.RECOVERED, NOW + timedelta(minutes=10)),
        (m.AlertLogKind.FIRED, NOW + timedelta(minutes=60)),
    ]
    rule.refresh_from_db()
    assert (rule.is_firing, rule.last_fired_at) == (True, NOW + timedelta(minutes=60))


def test_recovery_needs_the_minimum_sample_too(clock):
    rule = make_rule(min_n=2)
    old = [nps_at(NOW - timedelta(hours=23), 0), nps_at(NOW - timedelta(hours=22), 0)]
    with patch(DELIVER):
        alert_rule_evaluate(rule=rule, now=NOW)
    assert rule.is_firing
    # Three hours later the two detractors have left the window; one promoter is not enough
    # evidence that things are better.
    nps_at(NOW + timedelta(minutes=30), 10)
    with patch(DELIVER):
        assert alert_rule_evaluate(rule=rule, now=NOW + timedelta(hours=3)) is None
    assert old and m.AlertRule.objects.get().is_firing is True


def test_a_second_evaluation_with_the_same_stale_state_sends_nothing():
    rule = make_rule()
    nps_at(NOW - timedelta(hours=1), 0)
    nps_at(NOW - timedelta(hours=2), 0)
    stale = m.AlertRule.objects.get(pk=rule.pk)
    with patch(DELIVER):
        assert alert_rule_evaluate(rule=rule, now=NOW) is not None
        assert alert_rule_evaluate(rule=stale, now=NOW) is None  # lost the conditional UPDATE
    assert m.AlertLog.objects.count() == 1


@pytest.mark.parametrize(
    ("comparison", "threshold", "fires"),
    [("lt", -100, False), ("lte", -100, True), ("gt", -100, False), ("gte", -100, True), ("gt", -101, True)],
)
def test_comparisons_at_the_threshold(comparison, threshold, fires):
    rule = make_rule(comparison=comparison, threshold=threshold)
    nps_at(NOW - timedelta(hours=1), 0)
    nps_at(NOW - timedelta(hours=2), 0)
    assert rule_figure(rule, now=NOW).crossing is fires


def test_scope_by_team_category_channel_and_campaign():
    team = TeamFactory(name="Billing")
    kept = ticket(NOW - timedelta(days=3), team=team, category="billing", channel="phone")
    other_team = ticket(NOW - timedelta(days=3), category="billing", channel="phone")
    other_category = ticket(NOW - timedelta(days=3), team=team, category="account", channel="phone")
    response(kept, NOW - timedelta(hours=1), nps=0)
    response(other_team, NOW - timedelta(hours=1), nps=10)
    response(other_category, NOW - timedelta(hours=1), nps=10)

    rule = make_rule(team=team, category="billing", channel="phone", min_n=1)
    figure = rule_figure(rule, now=NOW)
    assert (figure.value, figure.n) == (-100.0, 1)

    r = response(ticket(NOW - timedelta(days=3), team=team, category="billing", channel="phone"),
                 NOW - timedelta(hours=1), nps=10)
    by_campaign = make_rule(name="campaign", campaign=r.invitation.campaign, min_n=1)
    assert (rule_figure(by_campaign, now=NOW).value, rule_figure(by_campaign, now=NOW).n) == (100.0, 1)


def test_ticket_metrics_read_the_reports_definitions_median_or_p90():
    # Resolution times 1 h … 10 h, closed inside the window.
    for hours in range(1, 11):
        ticket(NOW - timedelta(hours=2), res_s=hours * 3600, frt_s=600)
    median = make_rule(metric=m.Metric.RESOLUTION_TIME, comparison="gt", threshold=5 * 3600)
    p90 = make_rule(name="p90", metric=m.Metric.RESOLUTION_TIME, percentile=90, comparison="gt", threshold=9 * 3600)

    assert rule_figure(median, now=NOW).value == pytest.approx(5.5 * 3600)
    assert rule_figure(p90, now=NOW).value == pytest.approx(9.1 * 3600)
    assert rule_figure(p90, now=NOW).crossing is True
    sla = make_rule(name="sla", metric=m.Metric.SLA_RESOLUTION, comparison="lt", threshold=95)
    assert (rule_figure(sla, now=NOW).value, rule_figure(sla, now=NOW).n) == (100.0, 10)


def test_complaint_rate_and_response_rate():
    for i in range(4):
        ticket(NOW - timedelta(hours=3), is_complaint=i == 0)
    rule = make_rule(metric=m.Metric.COMPLAINT_RATE, comparison="gt", threshold=20)
    figure = rule_figure(rule, now=NOW)
    assert (figure.value, figure.n, figure.crossing) == (25.0, 4, True)

    campaign = InvitationFactory(sent_at=NOW - timedelta(hours=1)).campaign
    InvitationFactory(campaign=campaign, sent_at=NOW - timedelta(hours=2))
    rate = make_rule(name="rate", metric=m.Metric.RESPONSE_RATE, campaign=campaign, comparison="lt", threshold=10)
    assert (rule_figure(rate, now=NOW).value, rule_figure(rate, now=NOW).n) == (0.0, 2)


def test_built_in_no_responses_fires_only_when_invitations_were_sent():
    rule = make_rule(check_kind=m.AlertCheck.NO_RESPONSES, metric="", min_n=1)
    assert rule_figure(rule, now=NOW).crossing is None  # nothing sent: nothing to say

    InvitationFactory(sent_at=NOW - timedelta(hours=23))
    figure = rule_figure(rule, now=NOW)
    assert (figure.value, figure.n, figure.crossing) == (0, 1, True)

    nps_at(NOW - timedelta(hours=1), 9)
    assert rule_figure(rule, now=NOW).crossing is False


def test_built_in_sending_failures_above_the_threshold():
    rule = make_rule(check_kind=m.AlertCheck.SENDING_FAILURES, metric="", threshold=20, min_n=4)
    campaign = InvitationFactory(sent_at=NOW - timedelta(hours=1)).campaign
    for _ in range(2):
        InvitationFactory(campaign=campaign, sent_at=NOW - timedelta(hours=1))
    with patch("django.utils.timezone.now", return_value=NOW - timedelta(hours=1)):
        failed = InvitationFactory(campaign=campaign, status=m.InvitationStatus.FAILED, sent_at=None)
    figure = rule_figure(rule, now=NOW)
    assert (figure.value, figure.n, figure.crossing) == (25.0, 4, True)

    # A failure outside the window does not count.
    m.Invitation.objects.filter(pk=failed.pk).update(updated_at=NOW - timedelta(hours=30))
    assert rule_figure(rule, now=NOW).crossing is None  # 3 < min n 4


def test_one_broken_rule_does_not_silence_the_others(clock):
    broken = make_rule(name="broken")
    make_rule(name="fine")
    nps_at(NOW - timedelta(hours=1), 0)
    nps_at(NOW - timedelta(hours=2), 0)
    real = rule_figure

    def flaky(rule, *, now):
        if rule.pk == broken.pk:
            raise RuntimeError("boom")
        return real(rule, now=now)

    with patch("surveys.services.alerts.rule_figure", side_effect=flaky), patch(DELIVER):
        assert alert_rules_evaluate() == 1
    assert list(m.AlertLog.objects.values_list("rule__name", flat=True)) == ["fine"]
    assert mail.outbox == []  # delivery is the task's job


def test_a_rate_is_never_judged_below_the_reports_minimum_sample(settings):
    settings.REPORT_MIN_SAMPLE = 5
    rule = make_rule(min_n=2)
    for hours in range(1, 5):
        nps_at(NOW - timedelta(hours=hours), 0)
    figure = rule_figure(rule, now=NOW)
    assert (figure.n, figure.min_n, figure.crossing) == (4, 5, None)

    subject, _body = rule_message(rule=rule, figure=figure, kind=m.AlertLogKind.FIRED)
    assert "NPS — (n = 4)" in subject  # hidden, with its n

    nps_at(NOW - timedelta(hours=5), 0)
    assert rule_figure(rule, now=NOW).crossing is True
