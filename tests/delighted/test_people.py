"""people.json through Delighted's official Python client: a person becomes a survey of a
ticket closed now, with the product's campaign, delay, opt-out and erasure rules."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from surveys import models as m
from surveys.tasks.sending import invitation_send
from tests.factories import CampaignFactory, CustomerFactory

from .conftest import delighted

pytestmark = pytest.mark.django_db(transaction=True)


def test_person_create_schedules_an_invitation_and_the_email_goes_out(delighted_api, nps_campaign):
    person = delighted_api.Person.create(
        email="jony@example.org",
        name="Jony Appleseed",
        properties={
            "locale": "zh-CN",
            "ticket_id": "T-77",
            "channel": "chat",
            "agent": "Ann",
            "team": "Tier 1",
        },
    )

    invitation = m.Invitation.objects.get()
    assert invitation.campaign == nps_campaign
    assert invitation.status == m.InvitationStatus.SCHEDULED
    assert invitation.language == m.Language.ZH_HANS
    ticket = invitation.ticket
    assert (ticket.source, ticket.external_id, ticket.channel) == ("delighted", "T-77", "chat")
    assert (ticket.agent.name, ticket.team.name) == ("Ann", "Tier 1")
    assert ticket.status == m.TicketStatus.CLOSED
    assert person.id == str(invitation.customer_id)
    assert person.email == "jony@example.org" and person.name == "Jony Appleseed"
    assert person.survey_scheduled_at == int(invitation.send_after.timestamp())
    assert person.properties["ticket_id"] == "T-77"

    assert invitation_send(invitation.pk) == "sent"
    assert [message.to for message in mail.outbox] == [["jony@example.org"]]


def test_delay_in_seconds_replaces_the_campaign_delay(delighted_api, nps_campaign):
    before = timezone.now()
    person = delighted_api.Person.create(email="later@example.org", delay=3600)

    invitation = m.Invitation.objects.get()
    assert invitation.status == m.InvitationStatus.SCHEDULED
    assert (
        before + timedelta(seconds=3599) <= invitation.send_after <= timezone.now() + timedelta(seconds=3601)
    )
    assert person.survey_scheduled_at == int(invitation.send_after.timestamp())
    # The request travels with the stored event, for whoever applies events later.
    assert m.TicketEvent.objects.get().payload["delighted"]["survey"] == {
        "campaign_id": None,
        "delay_seconds": 3600,
    }


def test_properties_campaign_chooses_the_campaign_over_the_matching_one(delighted_api, nps_campaign):
    chosen = CampaignFactory(
        questionnaire=nps_campaign.questionnaire, priority=9, throttle_days=0, name="Billing"
    )

    delighted_api.Person.create(email="pick@example.org", properties={"campaign": "billing"})
    delighted_api.Person.create(email="byid@example.org", properties={"campaign": str(chosen.pk)})

    assert set(m.Invitation.objects.values_list("campaign_id", "status")) == {
        (chosen.pk, m.InvitationStatus.SCHEDULED)
    }
    assert m.Invitation.objects.count() == 2


@pytest.mark.parametrize("name", ["nope", "Ended", "Paused"])
def test_an_unknown_or_stopped_campaign_is_refused_with_nothing_stored(delighted_api, nps_campaign, name):
    CampaignFactory(
        questionnaire=nps_campaign.questionnaire, name="Ended", ends_at=timezone.now() - timedelta(days=1)
    )
    CampaignFactory(questionnaire=nps_campaign.questionnaire, name="Paused", is_active=False)

    with pytest.raises(delighted.errors.ResourceValidationError) as refused:
        delighted_api.Person.create(email="pick@example.org", properties={"campaign": name})

    assert refused.value.response.status_code == 422
    assert '"properties[campaign]"' in refused.value.response.body
    assert not m.TicketEvent.objects.exists() and not m.Invitation.objects.exists()


def test_send_false_records_the_person_without_a_survey(delighted_api, nps_campaign):
    CustomerFactory(email="Known@Example.org", name="Old name")

    person = delighted_api.Person.create(email="known@example.org", name="New name", send=False)

    assert m.Customer.objects.get().name == "New name"
    assert person.name == "New name"
    assert not m.Invitation.objects.exists() and not m.Ticket.objects.exists()


def test_after_an_unsubscribe_the_next_person_post_is_suppressed_as_opted_out(delighted_api, nps_campaign):
    assert delighted_api.Unsubscribe.create(person_email="gone@example.org") == {"ok": True}

    person = delighted_api.Person.create(email="Gone@example.org")

    invitation = m.Invitation.objects.get()
    assert invitation.status == m.InvitationStatus.SUPPRESSED
    assert invitation.suppression_reason == m.SuppressionReason.OPTED_OUT
    assert person.survey_scheduled_at is None
    listed = delighted_api.Unsubscribe.all()
    assert [(u.email, u.person_id) for u in listed] == [("gone@example.org", person.id)]


def test_throttling_applies_as_to_any_close(delighted_api, nps_campaign):
    nps_campaign.throttle_days = 30
    nps_campaign.save()

    first = delighted_api.Person.create(email="twice@example.org")
    second = delighted_api.Person.create(email="twice@example.org")

    assert first.survey_scheduled_at is not None and second.survey_scheduled_at is None
    assert sorted(m.Invitation.objects.values_list("suppression_reason", flat=True)) == [
        "",
        m.SuppressionReason.THROTTLED,
    ]


def test_delete_by_email_erases_the_customer(delighted_api, nps_campaign):
    person = delighted_api.Person.create(email="erase.me@example.org", name="Erase Me")

    assert delighted_api.Person.delete(email="erase.me@example.org") == {"ok": True}

    customer = m.Customer.objects.get(pk=person.id)
    assert customer.erased_at is not None and customer.email is None and customer.name == ""
    assert m.Invitation.objects.get().status == m.InvitationStatus.CANCELLED
    with pytest.raises(delighted.errors.GeneralAPIError) as again:
        delighted_api.Person.delete(id=person.id)
    assert again.value.response.status_code == 404


def test_pending_survey_requests_are_cancelled(delighted_api, nps_campaign):
    delighted_api.Person.create(email="wait@example.org", delay=86400)

    assert delighted_api.SurveyRequest.delete_pending(person_email="wait@example.org") == {"ok": True}

    assert m.Invitation.objects.get().status == m.InvitationStatus.CANCELLED


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"name": "No email"}, "email"),
        ({"email": "a@example.org", "delay": -5}, "delay"),
        ({"email": "a@example.org", "properties": {"priority": "whenever"}}, "properties[priority]"),
        ({"email": "a@example.org", "properties": {"team": "Tier 1"}}, "properties[agent]"),
        ({"email": "a@example.org", "phone_number": "+17132746524", "channel": "sms"}, "channel"),
    ],
)
def test_bad_fields_get_a_422_naming_them(delighted_api, nps_campaign, fields, refused):
    with pytest.raises(delighted.errors.ResourceValidationError) as error:
        delighted_api.Person.create(**fields)

    body = error.value.response.body
    assert error.value.response.status_code == 422
    assert f'"{refused}"' in body and '"status": 422' in body
    assert not m.Invitation.objects.exists()


def test_a_chosen_campaign_skips_its_filters_and_matching_keeps_them(delighted_api, nps_campaign):
    nps_campaign.filter_channels = ["email"]
    nps_campaign.save()

    unmatched = delighted_api.Person.create(email="chat@example.org", properties={"channel": "chat"})
    chosen = delighted_api.Person.create(
        email="chosen@example.org", properties={"channel": "chat", "campaign": nps_campaign.name}
    )

    assert unmatched.survey_scheduled_at is None
    assert chosen.survey_scheduled_at is not None
    assert list(m.Invitation.objects.values_list("customer__email", flat=True)) == ["chosen@example.org"]
