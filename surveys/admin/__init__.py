"""The Django admin, one module per concern. Importing them registers the ModelAdmins."""

from . import campaigns, goals, organisation, questionnaires, responses, tickets  # noqa: F401
