"""The alert-rule admin: the form, the "test this rule" page, and the alert log."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from surveys import models as m
from tests.reports.helpers import response, ticket

from .conftest import NOW, make_rule

pytestmark = pytest.mark.django_db
ADD = reverse("admin:surveys_alertrule_add")


def rule_test_url(rule):
    return reverse("admin:surveys_alertrule_test", args=[rule.pk])


def form_data(**changes):
    data = {
        "name": "Webhook on complaints",
        "is_active": "on",
        "check_kind": m.AlertCheck.METRIC,
        "metric": m.Metric.COMPLAINT_RATE,
        "percentile": "50",
        "comparison": m.Comparison.GT,
        "threshold": "5",
        "window_hours": "24",
        "min_n": "20",
        "cooldown_minutes": "240",
        "campaign": "",
        "team": "",
        "category": "",
        "channel": "",
        "recipients": "",
        "webhook_urls": "https://hooks.slack.example/services/T1/B2/x",
    }
    return data | changes


def test_a_rule_with_only_a_webhook_is_saved(manager_client):
    assert manager_client.post(ADD, form_data()).status_code == 302
    rule = m.AlertRule.objects.get()
    assert (rule.recipients, rule.webhook_list) == ("", ["https://hooks.slack.example/services/T1/B2/x"])


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"webhook_urls": "ftp://x.example/hook\nhttps://ok.example/h"}, "webhook_urls", "ftp://x.example/hook"),
        ({"metric": ""}, "metric", "Choose the metric"),
        ({"metric": m.Metric.RESPONSES}, "metric", "built-in check"),
        ({"check_kind": m.AlertCheck.SENDING_FAILURES, "threshold": "100"}, "threshold", "percentage"),
        ({"webhook_urls": ""}, "__all__", "at least one email address or webhook URL"),
        ({"min_n": "4"}, "min_n", "At least 5"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(manager_client, settings, changes, field, words):
    settings.REPORT_MIN_SAMPLE = 5
    page = manager_client.post(ADD, form_data(**changes))
    assert page.status_code == 200
    assert words in " ".join(page.context["adminform"].form.errors[field])
    assert not m.AlertRule.objects.exists()


def test_a_built_in_check_drops_the_metric(manager_client):
    data = form_data(check_kind=m.AlertCheck.NO_RESPONSES, metric=m.Metric.NPS, min_n="1")
    assert manager_client.post(ADD, data).status_code == 302
    assert m.AlertRule.objects.get().metric == ""


def test_the_change_page_has_the_test_button(manager_client):
    rule = make_rule()
    page = manager_client.get(reverse("admin:surveys_alertrule_change", args=[rule.pk])).content.decode()
    assert f'action="{rule_test_url(rule)}"' in page and "Test this rule" in page


def test_test_this_rule_shows_what_it_would_say_and_sends_nothing(manager_client, clock):
    rule = make_rule(webhook_urls="https://hooks.example/abc")
    for minutes in (10, 20):
        response(ticket(NOW - timedelta(days=2)), NOW - timedelta(minutes=minutes), nps=0)

    page = manager_client.post(rule_test_url(rule))

    html = page.content.decode()
    assert page.status_code == 200
    assert "the rule would fire now" in html
    assert "Alert: NPS below zero — NPS -100 (n = 2)" in html
    assert "&quot;text&quot;: &quot;Alert: NPS below zero" in html  # the webhook JSON, escaped
    assert "lead@example.com" in html and "https://hooks.example/abc" in html
    log = m.AlertLog.objects.get()
    assert (log.kind, log.figure, log.n) == (m.AlertLogKind.TEST, -100.0, 2)
    assert not log.deliveries.exists() and mail.outbox == []
    rule.refresh_from_db()
    assert (rule.is_firing, rule.last_fired_at) == (False, None)


def test_test_this_rule_says_when_n_is_below_the_minimum(manager_client, clock):
    rule = make_rule(min_n=50)
    html = manager_client.post(rule_test_url(rule)).content.decode()
    assert "below the minimum sample of 50" in html


def test_test_this_rule_is_a_post_for_managers_only(manager_client, outsider_client, agent_client):
    rule = make_rule()
    assert manager_client.get(rule_test_url(rule)).status_code == 405
    assert outsider_client.post(rule_test_url(rule)).status_code == 403
    assert agent_client.post(rule_test_url(rule)).status_code == 302  # not staff: to the login page
    assert manager_client.post(reverse("admin:surveys_alertrule_test", args=[999_999])).status_code == 404
    assert manager_client.post(reverse("admin:surveys_alertrule_test", args=["x"])).status_code == 404
    assert not m.AlertLog.objects.exists()


def test_the_alert_log_lists_figure_n_window_and_where_it_went(manager_client, outsider_client):
    rule = make_rule()
    log = m.AlertLog.objects.create(
        rule=rule, kind=m.AlertLogKind.FIRED, fired_at=NOW, figure=-12.5, n=40,
        window_start=NOW - timedelta(hours=24), window_end=NOW, subject="Alert", body="NPS -13 (n = 40)",
    )
    m.AlertDelivery.objects.create(log=log, channel=m.DeliveryChannel.EMAIL, destination="lead@example.com",
                                   status=m.DeliveryStatus.FAILED, last_error="refused")
    changelist = reverse("admin:surveys_alertlog_changelist")

    html = manager_client.get(changelist).content.decode()
    assert "lead@example.com (Failed)" in html and "-12.5" in html and "40" in html
    detail = manager_client.get(reverse("admin:surveys_alertlog_change", args=[log.pk]))
    assert detail.status_code == 200 and "refused" in detail.content.decode()
    assert manager_client.post(reverse("admin:surveys_alertlog_delete", args=[log.pk])).status_code == 403
    assert outsider_client.get(changelist).status_code == 403
