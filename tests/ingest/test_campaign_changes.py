"""A campaign changed anywhere (admin, shell, QuerySet.update(), another process) takes effect on
the very next batch of events: the apply workers read the active campaigns once per batch."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from surveys import models as m
from tests.factories import CampaignFactory, QuestionFactory, QuestionnaireFactory, campaign_admin_form

from .helpers import CLOSED_AT, event, post_event

pytestmark = pytest.mark.django_db

_ids = iter(range(1, 10_000))


def close_new_ticket(**ticket) -> dict:
    """POST the close of a new ticket of a new customer and apply it; the invitations written."""
    n = next(_ids)
    payload = event(
        event_id=f"e{n}", ticket={"id": f"T-{n}", **ticket}, customer={"email": f"c{n}@example.org"}
    )
    response = post_event(Client(), payload)
    assert response.status_code == 202, response.content
    return {"invitations": m.Invitation.objects.filter(ticket__external_id=f"T-{n}").count()}


@pytest.fixture
def campaign():
    questionnaire = QuestionnaireFactory()
    QuestionFactory(questionnaire=questionnaire, kind=m.QuestionKind.NPS, order=1)
    return CampaignFactory(
        questionnaire=questionnaire, delay_minutes=0, throttle_days=0, name="After support"
    )


def admin_form(campaign, **changes) -> dict:
    """The campaign admin's form for ``campaign`` as a designer submits it, with ``changes``."""
    return campaign_admin_form(campaign.questionnaire, name=campaign.name, **changes)


def admin_save(client, campaign, **changes) -> None:
    url = reverse("admin:surveys_campaign_change", args=[campaign.pk])
    response = client.post(url, admin_form(campaign, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_campaign_switched_off_and_on_in_the_admin_applies_to_the_next_event(
    designer_client, campaign, enqueued
):
    assert close_new_ticket()["invitations"] == 1
    admin_save(designer_client, campaign, is_active=None)  # an unticked box is not posted
    assert close_new_ticket()["invitations"] == 0
    admin_save(designer_client, campaign)
    assert close_new_ticket()["invitations"] == 1


def test_filter_edited_in_the_admin_applies_to_the_next_event(designer_client, campaign, enqueued):
    assert close_new_ticket(category="billing")["invitations"] == 1
    admin_save(designer_client, campaign, filter_categories="shipping")
    assert close_new_ticket(category="billing")["invitations"] == 0
    assert close_new_ticket(category="shipping")["invitations"] == 1


def test_change_made_with_queryset_update_applies_to_the_next_event(campaign, enqueued):
    # QuerySet.update() leaves updated_at alone; the fingerprint reads the columns themselves.
    assert close_new_ticket()["invitations"] == 1
    m.Campaign.objects.filter(pk=campaign.pk).update(sample_rate=0)
    close_new_ticket()
    assert m.Invitation.objects.latest("pk").suppression_reason == m.SuppressionReason.SAMPLED_OUT
    # Campaign windows are judged at the ticket's close, so "ended" means before the event's close.
    m.Campaign.objects.filter(pk=campaign.pk).update(ends_at=CLOSED_AT - timedelta(days=1))
    assert close_new_ticket()["invitations"] == 0


def test_campaign_added_or_deleted_applies_to_the_next_event(campaign, enqueued):
    assert close_new_ticket()["invitations"] == 1
    second = CampaignFactory(questionnaire=campaign.questionnaire, delay_minutes=0, throttle_days=0)
    assert close_new_ticket()["invitations"] == 2
    m.Invitation.objects.filter(campaign=second).delete()
    second.delete()
    assert close_new_ticket()["invitations"] == 1


def test_priority_changed_with_queryset_update_decides_the_next_event(campaign, enqueued):
    second = CampaignFactory(questionnaire=campaign.questionnaire, delay_minutes=0, throttle_days=0)
    close_new_ticket()
    assert m.Invitation.objects.get(campaign=second).suppression_reason == m.SuppressionReason.ANOTHER_CAMPAIGN
    m.Campaign.objects.filter(pk=second.pk).update(priority=1)
    close_new_ticket()
    latest = {i.campaign_id: i for i in m.Invitation.objects.order_by("pk")}
    assert latest[second.pk].status == m.InvitationStatus.SCHEDULED
    assert latest[campaign.pk].suppression_reason == m.SuppressionReason.ANOTHER_CAMPAIGN
