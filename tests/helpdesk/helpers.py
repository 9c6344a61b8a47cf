"""Helpers for the django-helpdesk integration tests."""

from helpdesk.models import Ticket as HelpdeskTicket

from surveys.models import Ticket


def helpdesk_ticket(queue, n=1, **fields) -> HelpdeskTicket:
    fields.setdefault("submitter_email", f"customer{n}@example.org")
    fields.setdefault("priority", 2)
    return HelpdeskTicket.objects.create(title=f"Cannot pay invoice {n}", queue=queue, **fields)


def ours(ticket) -> Ticket:
    return Ticket.objects.get(source="django-helpdesk", external_id=str(ticket.pk))
