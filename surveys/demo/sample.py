"""A survey link that works today, for the banner of `make run`.

The demo's invitations are dated when the demo was built, so a week or two later all of
them have expired; the banner then needs a fresh one rather than a link that says "expired".
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from surveys.models import Campaign, Invitation, InvitationStatus, Ticket, TicketStatus
from surveys.services.responses import SurveyState, invitation_survey_state

from .constants import DEMO_LINEAGE, DEMO_SOURCE, TICKET_PREFIX

# A link that closes within the hour would be a poor thing to hand a newcomer.
MARGIN = timedelta(hours=1)


def _open_invitation(now: datetime) -> Invitation | None:
    candidates = (
        Invitation.objects.filter(
            status=InvitationStatus.SENT, campaign__is_active=True, response__isnull=True
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now + MARGIN))
        .select_related("campaign")
        .order_by("-sent_at", "-pk")
    )
    for invitation in candidates[:20]:
        if invitation_survey_state(invitation=invitation, response=None, now=now) == SurveyState.OPEN:
            return invitation
    return None


def demo_sample_invitation(*, now: datetime, create: bool) -> Invitation | None:
    """An invitation whose survey page takes answers at ``now``, or None when there is none.

    Picks the most recently sent open one. With ``create`` (the demo, DEBUG only) and none
    open, adds one to the demo: a ticket closed an hour ago (a demo ticket, so `seed_demo
    --reset` removes it) and a sent invitation of the demo's active campaign. Never sends mail.
    """
    found = _open_invitation(now)
    if found is not None or not create:
        return found
    campaign = (
        Campaign.objects.filter(questionnaire__lineage=DEMO_LINEAGE, is_active=True).order_by("pk").first()
    )
    model = (
        Ticket.objects.filter(source=DEMO_SOURCE, status=TicketStatus.CLOSED, customer__email__isnull=False)
        .select_related("customer", "agent", "team")
        .order_by("-closed_at")
        .first()
    )
    if campaign is None or model is None:
        return None
    with transaction.atomic():
        ticket = Ticket(
            source=DEMO_SOURCE,
            external_id=f"{TICKET_PREFIX}SAMPLE-{now:%Y%m%d%H%M%S}",
            customer=model.customer,
            agent=model.agent,
            team=model.team,
            subject=model.subject,
            category=model.category,
            priority=model.priority,
            channel=model.channel,
            status=TicketStatus.CLOSED,
            opened_at=now - timedelta(hours=3),
            first_response_at=now - timedelta(hours=2, minutes=30),
            resolved_at=now - timedelta(hours=1),
            closed_at=now - timedelta(hours=1),
            sla_response_target_s=model.sla_response_target_s,
            sla_resolution_target_s=model.sla_resolution_target_s,
        )
        ticket.set_durations()
        ticket.full_clean()
        ticket.save()
        invitation = Invitation(
            campaign=campaign,
            ticket=ticket,
            customer=ticket.customer,
            questionnaire=campaign.questionnaire,
            cycle=ticket.cycle,
            language=ticket.customer.locale,
            status=InvitationStatus.SENT,
            send_after=now,
            claimed_at=now,
            sent_at=now,
            last_sent_at=now,
            attempts=1,
            expires_at=now + timedelta(days=campaign.link_expiry_days),
        )
        invitation.full_clean()
        invitation.save()
    return invitation
