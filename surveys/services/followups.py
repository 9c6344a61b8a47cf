"""Writes to follow-up cases (closing the loop with unhappy customers)."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from ..models import FollowUp, FollowUpStatus


def followup_update(
    *,
    followup: FollowUp,
    status: str,
    owner: AbstractBaseUser | None,
    notes: str,
) -> FollowUp:
    """Set a case's status, owner and notes, and keep ``closed_at`` in step with the status.

    Closing stamps ``closed_at`` (once: saving a closed case again keeps the first time);
    reopening clears it. Raises ValidationError for an unknown status. Returns the case.
    """
    followup.status = status
    followup.owner = owner
    followup.notes = notes
    if status == FollowUpStatus.CLOSED:
        followup.closed_at = followup.closed_at or timezone.now()
    else:
        followup.closed_at = None
    followup.full_clean()
    followup.save()
    return followup
