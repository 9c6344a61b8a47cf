"""Builders for report tests: tickets and responses with exactly the fields a figure reads."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from surveys import models as m
from tests.factories import InvitationFactory, ResponseFactory, TicketFactory


def at(day, hour=12):
    """An aware datetime on ``day`` (a date) at ``hour`` in the site time zone."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(settings.TIME_ZONE))


def ticket(closed, *, frt_s=3600, res_s=6 * 3600, **kwargs):
    opened = closed - timedelta(seconds=res_s + 60)
    defaults = {
        "opened_at": opened,
        "first_response_at": opened + timedelta(seconds=frt_s) if frt_s is not None else None,
        "resolved_at": opened + timedelta(seconds=res_s) if res_s is not None else None,
        "closed_at": closed,
        "sla_response_target_s": 4 * 3600,
        "sla_resolution_target_s": 24 * 3600,
    }
    return TicketFactory(**(defaults | kwargs))


def response(ticket_obj, started, *, campaign=None, nps=None, csat=None, ces=None, **kwargs):
    extra = {"campaign": campaign} if campaign else {}
    invitation = InvitationFactory(
        ticket=ticket_obj, status=m.InvitationStatus.ANSWERED, sent_at=started - timedelta(hours=1), **extra
    )
    return ResponseFactory(
        invitation=invitation, started_at=started, nps_score=nps, csat_score=csat, ces_score=ces, **kwargs
    )


def add_cases(seed: int) -> None:
    """Follow-up cases for the detractors and complaints not yet followed (a few left without
    one): some contacted, some closed, some re-surveyed and answered, open ones due on either
    side of now. Written through the services, so each change is dated as in production."""
    import random

    from django.db.models import Q
    from django.utils import timezone

    from surveys.services.followups import followup_close, followup_open

    rng = random.Random(seed)
    flagged = m.Response.objects.filter(
        Q(is_complaint=True) | Q(nps_score__lte=6), invitation__resurvey_of__isnull=True, followup__isnull=True
    ).order_by("pk")
    for r in flagged.select_related("invitation"):
        if rng.random() < 0.2:
            continue
        reason = m.FollowUpReason.COMPLAINT if r.is_complaint else m.FollowUpReason.DETRACTOR
        case = followup_open(response=r, ticket_id=r.invitation.ticket_id, reason=reason)
        case.due_at = timezone.now() + timedelta(hours=rng.choice([-5, 5]))
        if rng.random() < 0.6:
            case.first_contact_at = case.created_at + timedelta(seconds=rng.randint(60, 200_000))
        case.save()
        if rng.random() < 0.5:
            followup_close(followup=case, outcome=m.FollowUpOutcome.RECOVERED, resurvey=rng.random() < 0.7)
            again = m.Invitation.objects.filter(resurvey_of=case).first()
            if again is not None and rng.random() < 0.8:
                ResponseFactory(
                    invitation=again,
                    nps_score=rng.choice([None, *range(11)]),
                    started_at=r.started_at + timedelta(days=1),
                )
