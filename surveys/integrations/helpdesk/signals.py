"""Every way django-helpdesk changes a ticket's status ends in Ticket.save(): its ticket form and
follow-ups, but also bulk close, the kanban drag and merging (duplicate), which skip its own
update_ticket_done signal. So Django's post_save on helpdesk.Ticket is the one hook; the
reconcile sweep (reconcile.py) catches anything done with QuerySet.update()."""

import logging
from datetime import datetime

from django.db.models.signals import post_init, post_save
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.ingest.schema import PayloadInvalid
from surveys.services.tickets import ticket_event_record

from .events import event_type_for, payload_for

logger = logging.getLogger(__name__)
SEEN = "_surveys_status_seen"


def remember_status(sender, instance, **kwargs) -> None:
    setattr(instance, SEEN, instance.status if instance.pk else None)


def status_changed(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:  # loaddata
        return
    old_status = None if created else getattr(instance, SEEN, None)
    setattr(instance, SEEN, instance.status)
    event_type = event_type_for(old_status, instance.status)
    if event_type is None:
        return
    ticket_event_send(ticket=instance, event_type=event_type, old_status=old_status)


def ticket_event_send(
    *, ticket: HelpdeskTicket, event_type: str, old_status: int | None, occurred_at: datetime | None = None
) -> bool:
    """Record the event; never let a survey problem break the helpdesk's own save. A failure
    is logged and the reconcile sweep records the change later. ``occurred_at`` defaults to
    the ticket's ``modified``. Returns whether the event was stored and applied."""
    payload = payload_for(ticket, event_type=event_type, old_status=old_status, occurred_at=occurred_at)
    try:
        result = ticket_event_record(
            payload=payload,
            # A duplicate's conversation goes on in the ticket it was merged into: survey that one.
            create_invitations=ticket.status != HelpdeskTicket.DUPLICATE_STATUS,
        )
    except PayloadInvalid as exc:
        logger.warning("django-helpdesk ticket %s: event not recorded: %s", ticket.pk, exc)
        return False
    except Exception:
        logger.exception("django-helpdesk ticket %s: event not recorded; reconcile will retry", ticket.pk)
        return False
    return result.applied


def connect() -> None:
    post_init.connect(remember_status, sender=HelpdeskTicket, dispatch_uid="surveys_helpdesk_seen")
    post_save.connect(status_changed, sender=HelpdeskTicket, dispatch_uid="surveys_helpdesk_status")
