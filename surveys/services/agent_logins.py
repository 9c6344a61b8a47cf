"""Linking helpdesk agents to the logins that read their own scores."""

from django.db import IntegrityError, transaction

from ..models import Agent


def agent_user_match_by_email(*, user) -> bool:
    """Link ``user`` to the agent whose email equals theirs (case-insensitive), so an agent's
    login reads its own scores without an administrator linking it by hand.

    Links only when exactly one agent has that email and no login yet, and the user is no
    agent's login already: never replaces a link an administrator made, never guesses between
    two agents sharing an address. Returns whether the link was made.
    """
    email = (user.email or "").strip()
    if not email or user.pk is None or Agent.objects.filter(user=user).exists():
        return False
    candidates = list(Agent.objects.filter(email__iexact=email).values_list("pk", "user_id")[:2])
    if len(candidates) != 1 or candidates[0][1] is not None:
        return False
    try:
        with transaction.atomic():
            linked = Agent.objects.filter(pk=candidates[0][0], user__isnull=True).update(user=user)
    except IntegrityError:  # the login was given to another agent meanwhile (one-to-one)
        return False
    return bool(linked)
