"""Who answered and when, their answers, and the follow-up cases for unhappy customers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from surveys.models import (
    Answer,
    Campaign,
    FollowUp,
    FollowUpOutcome,
    FollowUpReason,
    FollowUpStatus,
    Invitation,
    InvitationStatus,
    Question,
    Response,
)

from .constants import BATCH_SIZE, rng_for
from .organisation import AgentProfile
from .scores import Answers, answers_draw
from .texts import FOLLOWUP_NOTES

# Closed demo cases end in these outcomes in turn (by response id, so the random draws, and
# with them the rest of the demo data, stay as they were).
DEMO_OUTCOMES = [
    FollowUpOutcome.RECOVERED,
    FollowUpOutcome.RESOLVED,
    FollowUpOutcome.RECOVERED,
    FollowUpOutcome.NOT_REACHED,
    FollowUpOutcome.DECLINED,
]
RESPONSE_CHANCE = {"enterprise": 0.50, "smb": 0.46, "consumer": 0.41}
PARTIAL_CHANCE = 0.06


@dataclass
class Planned:
    response: Response
    answers: Answers


def responses_plan(
    *, invitations: list[Invitation], campaign: Campaign, profiles: dict[int, AgentProfile], now: datetime
) -> list[Planned]:
    """Decide, for each sent invitation, whether and when it was answered, and with what.

    Updates the unsaved invitations to match: answered, expired (link ran out unanswered)
    or still sent, and a reminder where one was due.
    """
    rng = rng_for("responses")
    remind_after = timedelta(hours=campaign.reminder_after_hours)
    planned = []
    for invitation in invitations:
        if invitation.status != InvitationStatus.SENT:
            continue
        ticket = invitation.ticket
        started_at = None
        if rng.random() < RESPONSE_CHANCE[invitation.customer.segment]:
            # Most answer the same day; a tail answers after the reminder.
            started_at = invitation.sent_at + timedelta(seconds=rng.lognormvariate(9.6, 1.3))
            if started_at >= min(invitation.expires_at, now):
                started_at = None
        reminder_at = invitation.sent_at + remind_after
        if reminder_at <= now and (started_at is None or started_at > reminder_at):
            invitation.reminders_sent, invitation.last_sent_at = 1, reminder_at
        if started_at is None:
            if invitation.expires_at <= now:
                invitation.status = InvitationStatus.EXPIRED
            continue
        invitation.status = InvitationStatus.ANSWERED
        partial = rng.random() < PARTIAL_CHANCE
        answers = answers_draw(
            rng,
            ticket=ticket,
            profile=profiles[ticket.agent_id],
            language=invitation.language,
            partial=partial,
        )
        submitted_at = None if partial else started_at + timedelta(seconds=rng.randint(40, 400))
        numbers = answers.numbers
        low_csat = numbers.get("csat") is not None and numbers["csat"] <= 2
        response = Response(
            invitation=invitation,
            started_at=started_at,
            submitted_at=submitted_at,
            is_complete=not partial,
            language=invitation.language,
            nps_score=numbers["nps"],
            csat_score=numbers.get("csat"),
            ces_score=numbers.get("ces"),
            is_complaint=bool(numbers.get("complaint")) or (campaign.low_csat_is_complaint and low_csat),
        )
        planned.append(Planned(response=response, answers=answers))
    return planned


def _answer_rows(item: Planned, questions: dict[str, Question]) -> list[Answer]:
    rows = []
    for key, number in item.answers.numbers.items():
        question = questions[key]
        rows.append(Answer(response=item.response, question=question, kind=question.kind, number=number))
    if item.answers.choices:
        question = questions["what_went_wrong"]
        rows.append(
            Answer(
                response=item.response, question=question, kind=question.kind, choices=item.answers.choices
            )
        )
    if item.answers.comment:
        question = questions["comment"]
        rows.append(
            Answer(response=item.response, question=question, kind=question.kind, text=item.answers.comment)
        )
    return rows


def _followup(rng, response: Response, now: datetime, owner: AbstractBaseUser | None) -> FollowUp:
    opened = response.submitted_at
    age = now - opened
    followup = FollowUp(
        response=response,
        ticket=response.invitation.ticket,
        reason=FollowUpReason.COMPLAINT if response.is_complaint else FollowUpReason.DETRACTOR,
        owner=owner,
        created_at=opened,
        due_at=opened + timedelta(hours=settings.FOLLOWUP_DUE_HOURS),
    )
    # Old cases are mostly closed, this week's mostly still being worked on.
    closed_chance = 0.9 if age > timedelta(days=7) else 0.4 if age > timedelta(days=2) else 0.05
    if rng.random() < closed_chance:
        followup.status = FollowUpStatus.CLOSED
        followup.closed_at = opened + min(age, timedelta(hours=rng.uniform(2, 120)))
        followup.notes = rng.choice(FOLLOWUP_NOTES)
        followup.outcome = DEMO_OUTCOMES[response.pk % len(DEMO_OUTCOMES)]
        followup.first_contact_at = opened + (followup.closed_at - opened) / 3
    elif rng.random() < 0.5:
        followup.status = FollowUpStatus.IN_PROGRESS
        followup.first_contact_at = opened + min(age, timedelta(hours=3))
    return followup


def responses_create(
    *,
    planned: list[Planned],
    questions: dict[str, Question],
    now: datetime,
    owner: AbstractBaseUser | None = None,
) -> dict[str, int]:
    """Write the planned responses (their invitations must be saved), answers and follow-ups.

    A follow-up opens for every complete response from a detractor (NPS ≤ 6) or with a
    complaint, as the campaign asks.
    """
    rng = rng_for("followups")
    responses = Response.objects.bulk_create([item.response for item in planned], batch_size=BATCH_SIZE)
    answers = Answer.objects.bulk_create(
        [row for item in planned for row in _answer_rows(item, questions)], batch_size=BATCH_SIZE
    )
    followups = [
        _followup(rng, response, now, owner)
        for response in responses
        if response.is_complete and (response.is_complaint or response.nps_score <= 6)
    ]
    opened_at = {id(followup): followup.created_at for followup in followups}
    FollowUp.objects.bulk_create(followups, batch_size=BATCH_SIZE)
    # created_at is auto_now_add, so bulk_create stamped "now": put back when each case opened.
    for followup in followups:
        followup.created_at = opened_at[id(followup)]
    FollowUp.objects.bulk_update(followups, ["created_at"], batch_size=BATCH_SIZE)
    return {"responses": len(responses), "answers": len(answers), "followups": len(followups)}
