"""The subscription admin (the secret shown once, "Send a test event", secret rotation) and
the read-only delivery log; only superusers see either."""

from unittest.mock import patch

import pytest
from django.urls import reverse

from surveys import models as m
from surveys.services.outbound_delivery import outbound_delivery_send

from .conftest import subscribe
from .receiver import Receiver

pytestmark = pytest.mark.django_db
DELAY = "surveys.tasks.outbound.outbound_deliver.delay"
ADD = reverse("admin:surveys_webhooksubscription_add")
CHANGELIST = reverse("admin:surveys_webhooksubscription_changelist")
LOG = reverse("admin:surveys_webhookdelivery_changelist")


def ping_url(subscription):
    return reverse("admin:surveys_webhooksubscription_ping", args=[subscription.pk])


def test_adding_a_subscription_shows_its_secret_once_then_masked(admin_client, admin_user):
    page = admin_client.post(
        ADD,
        {
            "name": "CRM",
            "url": "https://crm.example.com/hooks",
            "events": ["response.completed", "alert.fired"],
        },
        follow=True,
    )

    subscription = m.WebhookSubscription.objects.get()
    assert subscription.secret in page.content.decode()
    assert (subscription.events, subscription.created_by, subscription.is_active) == (
        ["response.completed", "alert.fired"],
        admin_user,
        False,  # an unticked checkbox: the form posts no "is_active"
    )
    change = admin_client.get(reverse("admin:surveys_webhooksubscription_change", args=[subscription.pk]))
    assert subscription.secret not in change.content.decode()
    assert subscription.secret_masked in change.content.decode()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"events": []}, "events"),
        ({"events": ["response.deleted"]}, "events"),
        ({"events": ["ping"]}, "events"),
        ({"url": "ftp://crm.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(admin_client, changes, field):
    data = {"name": "CRM", "url": "https://crm.example.com/hooks", "events": ["response.completed"]} | changes

    page = admin_client.post(ADD, data)

    assert page.status_code == 200
    assert field in page.context["adminform"].form.errors
    assert not m.WebhookSubscription.objects.exists()


def test_the_test_event_button_queues_a_ping_that_the_receiver_gets(
    admin_client, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        subscription = subscribe(url=receiver.url, events=["response.completed"])
        with patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True):
            page = admin_client.post(ping_url(subscription))
        delivery = m.WebhookDelivery.objects.get()
        assert delay.call_args.args == (delivery.pk,)
        outbound_delivery_send(delivery_id=delivery.pk)  # what the worker does with it

    assert page.status_code == 302 and page["Location"] == LOG
    assert (delivery.event_type, delivery.payload["data"]["subscription"]["id"]) == ("ping", subscription.pk)
    assert receiver.requests[0]["headers"]["X-Surveys-Event"] == "ping"
    log = admin_client.get(LOG).content.decode()
    assert "Delivered" in log and ">200<" in log


def test_the_test_event_action_pings_each_selected_subscription(admin_client):
    first, second = subscribe(name="A"), subscribe(name="B")

    with patch(DELAY):
        admin_client.post(
            CHANGELIST, {"action": "send_test_event", "_selected_action": [first.pk, second.pk]}
        )

    assert sorted(m.WebhookDelivery.objects.values_list("subscription", "event_type")) == [
        (first.pk, "ping"),
        (second.pk, "ping"),
    ]


def test_the_test_button_refuses_get_and_unknown_ids(admin_client):
    subscription = subscribe()

    assert admin_client.get(ping_url(subscription)).status_code == 405
    assert admin_client.post(reverse("admin:surveys_webhooksubscription_ping", args=["x"])).status_code == 404
    assert not m.WebhookDelivery.objects.exists()


def test_rotating_the_secret_shows_the_new_one_once(admin_client):
    subscription = subscribe()
    old = subscription.secret

    page = admin_client.post(
        CHANGELIST, {"action": "rotate_secret", "_selected_action": [subscription.pk]}, follow=True
    )

    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret in page.content.decode()


def test_the_delivery_log_is_read_only_and_filters_by_status(admin_client):
    failed = subscribe(name="failing")
    with patch(DELAY):
        from surveys.services.outbound import outbound_ping

        delivery = outbound_ping(subscription=failed)
    m.WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", next_attempt_at=None, attempts=1, last_status_code=400, last_error="HTTP 400: bad"
    )

    failing = admin_client.get(LOG, {"status__exact": "failed"}).content.decode()
    delivered = admin_client.get(LOG, {"status__exact": "delivered"}).content.decode()
    change = admin_client.get(reverse("admin:surveys_webhookdelivery_change", args=[delivery.pk]))

    assert "HTTP 400: bad" in failing and "HTTP 400: bad" not in delivered
    assert change.status_code == 200 and "Save" not in change.content.decode()
    assert admin_client.get(reverse("admin:surveys_webhookdelivery_add")).status_code == 403


def test_managers_see_neither_subscriptions_nor_deliveries(manager_client):
    subscription = subscribe()

    assert manager_client.get(CHANGELIST).status_code == 403
    assert manager_client.get(LOG).status_code == 403
    assert manager_client.post(ping_url(subscription)).status_code == 403
    assert not m.WebhookDelivery.objects.exists()
