"""Opt-out: the services, and the /u/<token>/ page (GET shows, POST acts, one-click works)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from surveys import models as m
from surveys.services.customers import customer_erase
from surveys.services.optout import customer_opt_out, customer_snooze

from .conftest import due_invitation, sent_invitation

pytestmark = pytest.mark.django_db


def _url(invitation) -> str:
    return f"/u/{invitation.token}/"


def _customer(invitation) -> m.Customer:
    return m.Customer.objects.get(pk=invitation.customer_id)


# --- services -----------------------------------------------------------------------------
def test_opt_out_stamps_once_and_cancels_scheduled_invitations(campaign):
    scheduled = due_invitation(campaign)
    sent = sent_invitation(campaign, hours_ago=1, ticket__customer=scheduled.customer)

    customer = customer_opt_out(customer=scheduled.customer)
    first_stamp = customer.opted_out_at
    again = customer_opt_out(customer=customer)

    assert first_stamp is not None and again.opted_out_at == first_stamp
    scheduled.refresh_from_db()
    sent.refresh_from_db()
    assert scheduled.status == m.InvitationStatus.CANCELLED
    assert scheduled.last_error == "customer opted out"
    assert sent.status == m.InvitationStatus.SENT


def test_snooze_lasts_ninety_days_and_never_shortens(campaign):
    invitation = due_invitation(campaign)
    customer = customer_snooze(customer=invitation.customer)
    assert timezone.now() + timedelta(days=89) < customer.snoozed_until <= timezone.now() + timedelta(days=90)
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.CANCELLED

    longer = customer_snooze(customer=customer, days=200)
    shorter = customer_snooze(customer=longer, days=90)
    assert shorter.snoozed_until == longer.snoozed_until


def test_snooze_refuses_a_zero_length(campaign):
    invitation = due_invitation(campaign)
    with pytest.raises(ValueError):
        customer_snooze(customer=invitation.customer, days=0)


def test_erasing_a_customer_cancels_their_scheduled_invitations(campaign):
    invitation = due_invitation(campaign)
    customer_erase(customer=invitation.customer)
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.CANCELLED
    assert invitation.last_error == "customer erased"


# --- the page -----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["get", "head"])
def test_get_and_head_show_the_choice_and_change_nothing(campaign, client, method):
    invitation = due_invitation(campaign)
    response = getattr(client, method)(_url(invitation))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    if method == "get":
        page = response.content.decode()
        assert "Unsubscribe" in page and "Not for 90 days" in page
        assert 'name="csrfmiddlewaretoken"' in page
    customer = _customer(invitation)
    assert customer.opted_out_at is None and customer.snoozed_until is None
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.SCHEDULED


def test_page_speaks_the_invitation_language(campaign, client):
    invitation = due_invitation(campaign, language=m.Language.ZH_HANS)
    page = client.get(_url(invitation)).content.decode()
    assert '<html lang="zh-hans">' in page


def test_unsubscribe_button_opts_out(campaign):
    client = Client(enforce_csrf_checks=True)
    invitation = due_invitation(campaign)
    client.get(_url(invitation))
    token = client.cookies["csrftoken"].value

    response = client.post(_url(invitation), {"action": "unsubscribe", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert _customer(invitation).opted_out_at is not None
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.CANCELLED


def test_snooze_button_snoozes_for_ninety_days(campaign):
    client = Client(enforce_csrf_checks=True)
    invitation = due_invitation(campaign)
    client.get(_url(invitation))
    token = client.cookies["csrftoken"].value

    response = client.post(_url(invitation), {"action": "snooze", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    customer = _customer(invitation)
    assert customer.opted_out_at is None
    assert customer.snoozed_until > timezone.now() + timedelta(days=89)
    assert "We will not send you survey emails before" in response.content.decode()


def test_rfc8058_one_click_post_works_without_cookie_or_csrf(campaign):
    client = Client(enforce_csrf_checks=True)
    invitation = due_invitation(campaign)

    response = client.post(
        _url(invitation), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert _customer(invitation).opted_out_at is not None


def test_one_click_as_multipart_also_works(campaign):
    client = Client(enforce_csrf_checks=True)
    invitation = due_invitation(campaign)
    assert client.post(_url(invitation), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _customer(invitation).opted_out_at is not None


def test_button_post_without_csrf_token_is_refused(campaign):
    client = Client(enforce_csrf_checks=True)
    invitation = due_invitation(campaign)
    response = client.post(_url(invitation), {"action": "unsubscribe"})
    assert response.status_code == 403
    assert _customer(invitation).opted_out_at is None


def test_unknown_action_is_a_clear_400_and_changes_nothing(campaign, client):
    invitation = due_invitation(campaign)
    response = client.post(_url(invitation), {"action": "delete-everything"})
    assert response.status_code == 400
    assert "Please choose one of the buttons" in response.content.decode()
    customer = _customer(invitation)
    assert customer.opted_out_at is None and customer.snoozed_until is None


def test_wrong_one_click_value_is_not_an_opt_out(campaign, client):
    invitation = due_invitation(campaign)
    response = client.post(_url(invitation), {"List-Unsubscribe": "yes please"})
    assert response.status_code == 400
    assert _customer(invitation).opted_out_at is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_or_tampered_token_is_a_404_page(campaign, client, method):
    invitation = due_invitation(campaign)
    response = getattr(client, method)(f"/u/{invitation.token}x/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert "This unsubscribe link is not valid" in response.content.decode()
    assert _customer(invitation).opted_out_at is None


def test_other_methods_are_refused(campaign, client):
    invitation = due_invitation(campaign)
    assert client.put(_url(invitation)).status_code == 405
    assert client.delete(_url(invitation)).status_code == 405
    assert _customer(invitation).opted_out_at is None


def test_erased_customer_can_still_use_the_link(campaign, client):
    invitation = due_invitation(campaign)
    customer_erase(customer=invitation.customer)
    response = client.post(_url(invitation), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _customer(invitation).opted_out_at is not None
