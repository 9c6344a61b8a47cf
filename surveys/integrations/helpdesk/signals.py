"""Every way django-helpdesk changes a ticket ends in Ticket.save(): its ticket form and
follow-ups, but also bulk close, the kanban drag and merging (duplicate), which skip its own
update_ticket_done signal. So Django's post_save on helpdesk.Ticket is the one hook for field
changes, post_save on FollowUp for first responses and closes without e-mail, post_delete for
deletions; the reconcile sweep (reconcile.py) catches anything done with QuerySet.update().

django-helpdesk's update form saves one submit in several steps (the new status first, then
title, priority and queue in a later save), so each save is compared with the last one seen
and every step that changes a mapped field makes its own event."""

import logging
from datetime import datetime

from django.db.models.signals import post_delete, post_init, post_save
from helpdesk.models import FollowUp
from helpdesk.models import Ticket as HelpdeskTicket

from surveys.ingest.schema import PayloadInvalid
from surveys.models import Ticket, TicketEventType
from surveys.services.ticket_lifecycle import (
    agent_user_link,
    invitations_suppress_not_contacted,
    ticket_remove,
)
from surveys.services.tickets import ticket_event_record

from .events import CLOSING, REMOVED, change_for, is_response, mapped, payload_for, source

logger = logging.getLogger(__name__)
SEEN = "_surveys_mapped_seen"


MAPPED_ATTNAMES = frozenset({"status", "priority", "queue_id", "title", "assigned_to_id"})
UNKNOWN = object()


def remember_fields(sender, instance, **kwargs) -> None:
    if instance.pk is None:
        setattr(instance, SEEN, None)
    elif MAPPED_ATTNAMES & instance.get_deferred_fields():
        # Loaded with .only()/.defer(): reading a deferred field here would cost a query per row
        # (and recurse through this very hook). Such a save is left to the sweep.
        setattr(instance, SEEN, UNKNOWN)
    else:
        setattr(instance, SEEN, mapped(instance))


def ticket_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:  # loaddata
        return
    old = None if created else getattr(instance, SEEN, None)
    if old is UNKNOWN:
        return
    new = mapped(instance)
    setattr(instance, SEEN, new)
    if new.status == REMOVED:
        if old is None or old.status != REMOVED:
            _guarded(instance.pk, ticket_remove, source=source(), external_id=str(instance.pk))
        return
    event_type = change_for(old, new)
    if event_type is not None:
        ticket_event_send(
            ticket=instance, event_type=event_type, old_status=None if old is None else old.status
        )
    if new.assignee_id is not None and (old is None or old.assignee_id != new.assignee_id):
        _guarded(
            instance.pk, agent_user_link, external_id=f"hd-user-{new.assignee_id}", user_id=new.assignee_id
        )


def ticket_deleted(sender, instance, **kwargs) -> None:
    _guarded(instance.pk, ticket_remove, source=source(), external_id=str(instance.pk))


def followup_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    ticket = instance.ticket
    if instance.new_status in CLOSING and not instance.public:
        # "Close (Don't Send E-Mail)" and a close with a private follow-up: the team chose not to
        # contact the customer, so no survey either.
        _guarded(ticket.pk, invitations_suppress_not_contacted, source=source(), external_id=str(ticket.pk))
    if not is_response(instance):
        return
    if not Ticket.objects.filter(
        source=source(), external_id=str(ticket.pk), first_response_at__isnull=True
    ).exists():
        return  # answered before, or not recorded yet (the sweep will)
    # FollowUp.save() has just touched the ticket's `modified`: the newest moment we know of.
    ticket_event_send(
        ticket=ticket,
        event_type=TicketEventType.UPDATED,
        old_status=ticket.status,
        event_id=f"hd-{ticket.pk}-followup-{instance.pk}",
    )


def ticket_event_send(
    *,
    ticket: HelpdeskTicket,
    event_type: str,
    old_status: int | None,
    occurred_at: datetime | None = None,
    changed_at: datetime | None = None,
    event_id: str | None = None,
) -> bool:
    """Record the event; never let a survey problem break the helpdesk's own save. A failure
    is logged and the reconcile sweep records the change later. ``occurred_at`` defaults to
    the ticket's ``modified``. Returns whether the event was stored and applied."""
    try:
        payload = payload_for(
            ticket,
            event_type=event_type,
            old_status=old_status,
            occurred_at=occurred_at,
            changed_at=changed_at,
            event_id=event_id,
        )
        result = ticket_event_record(payload=payload)
    except PayloadInvalid as exc:
        logger.warning("django-helpdesk ticket %s: event not recorded: %s", ticket.pk, exc)
        return False
    except Exception:
        logger.exception("django-helpdesk ticket %s: event not recorded; reconcile will retry", ticket.pk)
        return False
    return result.applied


def _guarded(ticket_pk, service, **kwargs):
    try:
        return service(**kwargs)
    except Exception:
        logger.exception(
            "django-helpdesk ticket %s: %s failed; reconcile will retry", ticket_pk, service.__name__
        )
        return None


def connect() -> None:
    post_init.connect(remember_fields, sender=HelpdeskTicket, dispatch_uid="surveys_helpdesk_seen")
    post_save.connect(ticket_saved, sender=HelpdeskTicket, dispatch_uid="surveys_helpdesk_status")
    post_delete.connect(ticket_deleted, sender=HelpdeskTicket, dispatch_uid="surveys_helpdesk_deleted")
    post_save.connect(followup_saved, sender=FollowUp, dispatch_uid="surveys_helpdesk_followup")
