"""A Delighted-compatible API under /delighted/v1/ and an importer for Delighted's CSV export.

Delighted closed on 30 June 2026; teams that wired its API into their helpdesks and scripts
point them here instead (docs/integrations.md, "Moving from Delighted"). The API speaks
Delighted's routes, parameters, JSON shapes and errors, authenticated with the product's own
API tokens, and does its work through the product's services: a person becomes a ticket
event (``services.tickets.ticket_event_record``), an unsubscribe an opt-out, a delete an
erasure.
"""
