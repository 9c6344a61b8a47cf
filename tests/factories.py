"""factory_boy factories: every test builds the rows it needs, never fixtures with magic ids."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from surveys import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Agent

    name = factory.Sequence(lambda n: f"Agent {n}")
    email = factory.LazyAttribute(lambda a: f"{a.name.lower().replace(' ', '.')}@support.example.com")
    external_id = factory.Sequence(lambda n: f"a-{n}")
    team = factory.SubFactory(TeamFactory)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.org")
    name = factory.Sequence(lambda n: f"Customer {n}")
    external_id = factory.Sequence(lambda n: f"c-{n}")


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SLAPolicy
        django_get_or_create = ("priority",)

    priority = m.Priority.NORMAL
    first_response_target_s = 4 * 3600
    resolution_target_s = 24 * 3600


class QuestionnaireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Questionnaire

    title = factory.Sequence(lambda n: f"After your ticket {n}")
    title_zh_hans = "服务满意度调查"
    intro = "Tell us how we did."
    thank_you = "Thank you for your feedback."


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Question

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    order = factory.Sequence(lambda n: n)
    key = factory.Sequence(lambda n: f"q{n}")
    kind = m.QuestionKind.NPS
    text = "How likely are you to recommend us to a friend or colleague?"
    text_zh_hans = "您向朋友或同事推荐我们的可能性有多大？"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    questionnaire = factory.SubFactory(QuestionnaireFactory)
    email_subject = "How did we do with {{ ticket_subject }}?"
    email_body = "Hello {{ customer_name }}, one click tells us how we did."
    delay_minutes = 0


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Ticket

    source = "test-helpdesk"
    external_id = factory.Sequence(lambda n: f"T-{n}")
    customer = factory.SubFactory(CustomerFactory)
    agent = factory.SubFactory(AgentFactory)
    team = factory.SelfAttribute("agent.team")
    subject = "Cannot log in"
    category = "account"
    priority = m.Priority.NORMAL
    channel = "email"
    status = m.TicketStatus.CLOSED
    opened_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    first_response_at = factory.LazyAttribute(lambda t: t.opened_at + timedelta(hours=1))
    resolved_at = factory.LazyAttribute(lambda t: t.opened_at + timedelta(hours=6))
    closed_at = factory.LazyAttribute(lambda t: t.resolved_at)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Invitation

    campaign = factory.SubFactory(CampaignFactory)
    ticket = factory.SubFactory(TicketFactory)
    customer = factory.SelfAttribute("ticket.customer")
    questionnaire = factory.SelfAttribute("campaign.questionnaire")
    status = m.InvitationStatus.SENT
    send_after = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Response

    invitation = factory.SubFactory(InvitationFactory, status=m.InvitationStatus.ANSWERED)
    is_complete = True
    submitted_at = factory.LazyFunction(timezone.now)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Answer

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(QuestionFactory)
    kind = factory.SelfAttribute("question.kind")
    number = 9


def campaign_admin_form(questionnaire, **changes) -> dict:
    """The campaign admin's add/change form as a designer submits it, with ``changes`` (a value
    of None leaves that field out, as an unticked checkbox)."""
    data = {
        "name": "After support",
        "questionnaire": questionnaire.pk,
        "is_active": "on",
        "trigger": m.CampaignTrigger.TICKET_CLOSED,
        "priority": "100",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "delay_minutes": "0",
        "filter_categories": "",
        "filter_priorities": [],
        "filter_channels": "",
        "filter_segments": "",
        "sample_rate": "100",
        "throttle_days": "0",
        "daily_cap": "",
        "reminder_after_hours": "",
        "max_reminders": "1",
        "link_expiry_days": "14",
        "email_subject": "About {{ ticket_subject }}",
        "email_subject_zh_hans": "",
        "email_body": "Hello {{ customer_name }}",
        "email_body_zh_hans": "",
        "sender_name": "",
        "sender_email": "",
        "alert_recipients": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
