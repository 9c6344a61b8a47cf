"""Follow-up cases: a detractor's case, made the way the survey pipeline opens it."""

import pytest

from surveys import models as m
from surveys.services.followups import followup_open
from tests.factories import ResponseFactory


def make_case(
    *, nps: int | None = 2, complaint: bool = False, owner=None, language: str = "en", **response_fields
):
    response = ResponseFactory(nps_score=nps, is_complaint=complaint, language=language, **response_fields)
    reason = m.FollowUpReason.COMPLAINT if complaint else m.FollowUpReason.DETRACTOR
    case = followup_open(response=response, ticket_id=response.invitation.ticket_id, reason=reason)
    if owner is not None:
        case.owner = owner
        case.save()
    return case


@pytest.fixture
def case(db):
    return make_case()
