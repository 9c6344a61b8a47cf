"""Admin: invitation counts on the campaign page, "send me a test", and resending failures."""

import re
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from surveys import models as m
from surveys.tasks import sending as tasks
from tests.factories import InvitationFactory, UserFactory

from .conftest import ScriptedBackend, due_invitation, smtp_reply

pytestmark = pytest.mark.django_db


def change_url(campaign):
    return reverse("admin:surveys_campaign_change", args=[campaign.pk])


def send_test_url(campaign):
    return reverse("admin:surveys_campaign_send_test", args=[campaign.pk])


@pytest.fixture
def broker():
    with mock.patch.object(tasks.invitation_send, "apply_async", autospec=True) as apply_async:
        yield apply_async


# --- counts -------------------------------------------------------------------------------
def test_change_page_counts_invitations_by_status_and_suppression_reason(designer_client, campaign):
    InvitationFactory.create_batch(2, campaign=campaign)
    InvitationFactory(
        campaign=campaign,
        status=m.InvitationStatus.SUPPRESSED,
        suppression_reason=m.SuppressionReason.THROTTLED,
        sent_at=None,
    )
    due_invitation(campaign, status=m.InvitationStatus.FAILED)

    page = designer_client.get(change_url(campaign)).content.decode()

    assert '<tr><th scope="row">Sent</th><td>2</td></tr>' in page
    assert '<tr><th scope="row">Failed</th><td>1</td></tr>' in page
    assert '<tr><th scope="row">Answered</th><td>0</td></tr>' in page
    assert '<tr><th scope="row">suppressed: Surveyed recently</th><td>1</td></tr>' in page
    assert "Sampled out" not in page.split("invitation-summary")[1]


def test_manager_sees_the_counts_but_no_test_button(manager_client, campaign):
    InvitationFactory(campaign=campaign)
    page = manager_client.get(change_url(campaign)).content.decode()
    assert '<tr><th scope="row">Sent</th><td>1</td></tr>' in page
    assert "Send me a test" not in page


# --- send me a test -----------------------------------------------------------------------
def test_designer_gets_a_test_email_through_the_real_path(designer_client, designer, campaign, settings):
    settings.SITE_URL = "https://surveys.example.com"
    designer.email = "designer@example.com"
    designer.save()
    page = designer_client.get(change_url(campaign)).content.decode()
    assert "Send me a test" in page

    response = designer_client.post(send_test_url(campaign), follow=True)

    assert response.redirect_chain[-1][0] == change_url(campaign)
    assert "A test email was sent to designer@example.com." in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["designer@example.com"]
    assert message.subject.startswith("[Test] ")
    assert re.search(r"https://surveys\.example\.com/s/test/[\w:.-]+/\?score=0", message.body)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not m.Invitation.objects.exists()


def test_test_email_needs_an_address_on_the_account(designer_client, designer, campaign):
    designer.email = ""
    designer.save()
    response = designer_client.post(send_test_url(campaign), follow=True)
    assert "Your account has no email address" in response.content.decode()
    assert mail.outbox == []


def test_smtp_refusal_of_the_test_is_reported_not_a_500(designer_client, designer, campaign, smtp_script):
    designer.email = "designer@example.com"
    designer.save()
    smtp_script.append(smtp_reply(550, "relay denied"))
    response = designer_client.post(send_test_url(campaign), follow=True)
    assert response.status_code == 200
    assert "The test email could not be sent: 550 relay denied" in response.content.decode()
    assert ScriptedBackend.script == []


def test_test_email_is_post_only(designer_client, campaign):
    assert designer_client.get(send_test_url(campaign)).status_code == 405
    assert mail.outbox == []


def test_manager_and_outsider_cannot_send_a_test(manager_client, outsider_client, campaign):
    assert manager_client.post(send_test_url(campaign)).status_code == 403
    assert outsider_client.post(send_test_url(campaign)).status_code == 403
    assert mail.outbox == []


def test_test_for_a_missing_campaign_is_404(designer_client):
    assert designer_client.post(reverse("admin:surveys_campaign_send_test", args=[999999])).status_code == 404


# --- resend -------------------------------------------------------------------------------
def test_campaign_action_resends_only_failed_invitations(
    designer_client, campaign, broker, django_capture_on_commit_callbacks
):
    failed = due_invitation(campaign, status=m.InvitationStatus.FAILED, last_error="550 no")
    sent = InvitationFactory(campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        response = designer_client.post(
            reverse("admin:surveys_campaign_changelist"),
            {"action": "resend_failed", "_selected_action": [campaign.pk]},
            follow=True,
        )

    assert "1 failed invitation will be sent again." in response.content.decode()
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (m.InvitationStatus.SCHEDULED, 0)
    assert sent.status == m.InvitationStatus.SENT
    broker.assert_called_once_with((failed.pk,), countdown=None)


def test_campaign_action_is_not_offered_to_managers(manager_client, campaign, broker):
    failed = due_invitation(campaign, status=m.InvitationStatus.FAILED)
    manager_client.post(
        reverse("admin:surveys_campaign_changelist"),
        {"action": "resend_failed", "_selected_action": [campaign.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == m.InvitationStatus.FAILED
    broker.assert_not_called()


@pytest.fixture
def operator_client(client, roles):
    """Runs campaigns and can see invitations: the person the invitation action is for."""
    user = UserFactory(username="operator")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_campaign", "view_campaign", "view_invitation"])
    )
    client.force_login(user)
    return client


def test_invitation_action_resends_the_selected_failed_ones(operator_client, campaign, broker):
    failed = due_invitation(campaign, status=m.InvitationStatus.FAILED)
    cancelled = due_invitation(campaign, status=m.InvitationStatus.CANCELLED)

    response = operator_client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "resend", "_selected_action": [failed.pk, cancelled.pk]},
        follow=True,
    )

    assert "1 failed invitation will be sent again." in response.content.decode()
    assert m.Invitation.objects.get(pk=failed.pk).status == m.InvitationStatus.SCHEDULED
    assert m.Invitation.objects.get(pk=cancelled.pk).status == m.InvitationStatus.CANCELLED


def test_nothing_failed_says_so(operator_client, campaign, broker):
    sent = InvitationFactory(campaign=campaign)
    response = operator_client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "resend", "_selected_action": [sent.pk]},
        follow=True,
    )
    assert "There were no failed invitations to resend." in response.content.decode()
    broker.assert_not_called()


def test_manager_may_view_invitations_but_not_resend(manager_client, campaign, broker):
    failed = due_invitation(campaign, status=m.InvitationStatus.FAILED)
    page = manager_client.get(reverse("admin:surveys_invitation_changelist")).content.decode()
    assert 'value="resend"' not in page
    manager_client.post(
        reverse("admin:surveys_invitation_changelist"), {"action": "resend", "_selected_action": [failed.pk]}
    )
    assert m.Invitation.objects.get(pk=failed.pk).status == m.InvitationStatus.FAILED
