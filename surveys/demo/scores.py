"""What a customer answers, given how their ticket went.

Slow, reopened and many-contact tickets score lower; each agent's manner moves the attitude
rating. Pure functions of a random stream and the ticket, so they are easy to reason about.
"""

import math
from dataclasses import dataclass, field

from surveys.models import Language, Ticket

from .constants import clamp
from .organisation import AgentProfile
from .texts import COMMENTS


@dataclass
class Answers:
    """The numbers and words one respondent gives, by question key."""

    numbers: dict[str, int] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)
    comment: str = ""


def _pace(actual: int | None, target: int | None) -> float:
    """log2(actual / target), within ±4: 0 on target, 1 at twice the target, -1 at half."""
    if not actual or not target:
        return 0.0
    return max(-4.0, min(4.0, math.log2(actual / target)))


def answers_draw(rng, *, ticket: Ticket, profile: AgentProfile, language: str, partial: bool) -> Answers:
    """One respondent's answers to ``ticket``: only the NPS score when ``partial``.

    "What went wrong?" is answered by most detractors (NPS ≤ 6) and by nobody else, as its
    display condition allows; the comment comes in the respondent's ``language``.
    """
    pace = _pace(ticket.resolution_s, ticket.sla_resolution_target_s)
    # Customers notice speed everywhere, and a missed target far more than a beaten one.
    slow = max(0.0, pace)
    late_reply = max(0.0, _pace(ticket.first_response_s, ticket.sla_response_target_s))
    extra_contacts = ticket.contact_count - 1
    mood = (
        8.3
        + rng.gauss(0, 1.6)
        - 0.35 * pace
        - 1.5 * slow
        - 0.4 * late_reply
        - 1.5 * ticket.reopen_count
        - 0.4 * extra_contacts
        - 1.5 * ticket.is_complaint
        + 0.6 * profile.manner
    )
    nps = clamp(mood, 0, 10)
    answers = Answers(numbers={"nps": nps})
    if partial:
        return answers
    csat = clamp(nps / 2.5 + 0.9 + rng.gauss(0, 0.5), 1, 5)
    answers.numbers.update(
        csat=csat,
        quality=clamp(csat + rng.gauss(0, 0.6) - 0.3 * ticket.reopen_count, 1, 5),
        attitude=clamp(4.3 + profile.manner + (nps - 8) * 0.15 + rng.gauss(0, 0.6), 1, 5),
        timeliness=clamp(4.6 - 1.3 * slow - 0.5 * late_reply + rng.gauss(0, 0.6), 1, 5),
        effectiveness=clamp(
            4.5 - 1.2 * ticket.reopen_count - 0.4 * extra_contacts + (nps - 8) * 0.2 + rng.gauss(0, 0.6), 1, 5
        ),
        ces=clamp(
            5.8
            - 0.9 * extra_contacts
            - 0.9 * ticket.reopen_count
            - 0.6 * slow
            + (nps - 8) * 0.25
            + rng.gauss(0, 0.8),
            1,
            7,
        ),
    )
    if nps <= 6 and rng.random() < 0.9:
        answers.choices = _what_went_wrong(rng, slow=slow, ticket=ticket, manner=profile.manner)
    if rng.random() < (0.55 if nps <= 6 else 0.3):
        mood_name = "negative" if nps <= 6 else "neutral" if nps <= 8 else "positive"
        english, chinese = COMMENTS[mood_name]
        answers.comment = rng.choice(chinese if language == Language.ZH_HANS else english)
    complaint_chance = 0.4 if nps <= 2 else 0.15 if nps <= 4 else 0.04 if nps <= 6 else 0.0
    answers.numbers["complaint"] = int(rng.random() < complaint_chance)
    return answers


def _what_went_wrong(rng, *, slow: float, ticket: Ticket, manner: float) -> list[str]:
    reasons = []
    if slow > 0 or rng.random() < 0.2:
        reasons.append("slow")
    if ticket.reopen_count or rng.random() < 0.15:
        reasons.append("not_solved")
    if ticket.contact_count > 1:
        reasons.append("repeat")
    if rng.random() < 0.1 + max(0.0, -manner) * 0.5:
        reasons.append("manner")
    return reasons or ["other"]
