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
