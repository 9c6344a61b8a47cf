"""Reads for the read-only record pages under /reports/: one response, one ticket.

Who may open a record follows the reports' own rule (access.report_agent_scope): managers
and superusers every record, an agent only those of tickets credited to them (the ticket's
``agent``, as on My scores). A record outside an agent's scope is looked up *with* the scope,
so it is simply not found (404): the page never says whether it exists.

The service-level flags are the SQL definitions the dashboard counts with (aggregates.sla_met,
aggregates.fcr_q), annotated on the row, so a record page and a figure never disagree.
"""

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import get_language

from ..bounds import BIGINT_MAX
from ..forms import answer_display
from ..models import (
    SCALE_KINDS,
    Answer,
    FollowUp,
    Invitation,
    Language,
    QuestionKind,
    Response,
    Ticket,
    TicketEvent,
)
from ..scale_meanings import score_name
from . import aggregates, formatting

# A ticket's timeline shows at most this many events (a helpdesk sends a handful per ticket;
# a runaway integration must not make the page unbounded).
EVENT_LIMIT = 200


def _service_level_annotations(prefix: str = "") -> dict:
    resolved = Q(**{f"{prefix}resolved_at__isnull": False})
    return {
        "sla_response_met": aggregates.sla_met("first_response_s", "sla_response_target_s", prefix),
        "sla_resolution_met": aggregates.sla_met("resolution_s", "sla_resolution_target_s", prefix),
        # FCR is defined over resolved tickets only: an open ticket has no verdict yet.
        "is_fcr": Case(
            When(~resolved, then=Value(None)),
            When(aggregates.fcr_q(prefix), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(null=True),
        ),
    }


def viewer_language() -> str:
    """The viewer's language as a questionnaire names it (a question's ``tr`` takes it)."""
    return Language.ZH_HANS if (get_language() or "").startswith("zh") else Language.EN


def response_record(*, pk: int, agent_id: int | None) -> Response:
    """One response with its invitation, ticket (and its service-level flags), customer,
    campaign, questionnaire, follow-up case and answers with their questions. Two queries.

    ``agent_id`` (from report_agent_scope) narrows to that agent's tickets; raises
    Response.DoesNotExist for a response outside the scope or none at all.
    """
    if not 1 <= pk <= BIGINT_MAX:  # the database would refuse the number, not find nothing
        raise Response.DoesNotExist
    qs = Response.objects.select_related(
        "invitation__campaign",
        "invitation__questionnaire",
        "invitation__customer",
        "invitation__ticket__agent",
        "invitation__ticket__team",
        "followup__owner",
    ).prefetch_related(
        Prefetch(
            "answers",
            queryset=Answer.objects.select_related("question").order_by("question__order", "question_id"),
        )
    )
    if agent_id is not None:
        qs = qs.filter(invitation__ticket__agent_id=agent_id)
    flags = _service_level_annotations("invitation__ticket__")
    response = qs.annotate(**flags).get(pk=pk)
    ticket = response.invitation.ticket
    for name in flags:
        setattr(ticket, name, getattr(response, name))
    return response


def ticket_record(*, pk: int, agent_id: int | None) -> Ticket:
    """One ticket with agent, team, customer and its service-level flags; one query.
    Raises Ticket.DoesNotExist outside the scope (see response_record)."""
    if not 1 <= pk <= BIGINT_MAX:
        raise Ticket.DoesNotExist
    qs = Ticket.objects.select_related("agent", "team", "customer")
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    return qs.annotate(**_service_level_annotations()).get(pk=pk)


def ticket_events(ticket: Ticket) -> list[TicketEvent]:
    """The ticket's events in the order they happened (at most EVENT_LIMIT). One query; the
    payloads are not read: they may hold personal data the page has no need to show."""
    qs = TicketEvent.objects.filter(ticket=ticket).defer("payload")
    return list(qs.order_by("occurred_at", "pk")[:EVENT_LIMIT])


def ticket_invitations(ticket: Ticket) -> QuerySet[Invitation]:
    """The ticket's invitations, oldest first, with campaign, response and its case. One query."""
    return (
        Invitation.objects.filter(ticket=ticket)
        .select_related("campaign", "response__followup__owner")
        .order_by("created_at", "pk")
    )


def answer_rows(response: Response, language: str) -> list[dict]:
    """Each answer beside the question it answers, in the viewer's ``language``: a score with
    its scale's meaning ("9 – Very likely"), choice labels rather than codes, the comment."""
    rows = []
    for answer in response.answers.all():
        question = answer.question
        if question.kind in SCALE_KINDS and answer.number is not None:
            shown = score_name(question.kind, answer.number)
        else:
            shown = answer_display(
                question, number=answer.number, choices=answer.choices, text=answer.text, language=language
            )
        rows.append(
            {
                "key": question.key,
                "question": question.tr("text", language),
                "kind": question.kind,
                "answer": shown,
                "is_text": question.kind == QuestionKind.TEXT,
            }
        )
    return rows


def service_levels(ticket: Ticket) -> dict:
    """The ticket's service-level figures as shown: durations rounded (formatting.duration),
    each target met, missed or "—" when there is no target or no time yet."""
    return {
        "first_response": formatting.duration(ticket.first_response_s),
        "first_response_target": formatting.duration(ticket.sla_response_target_s),
        "first_response_met": ticket.sla_response_met,
        "resolution": formatting.duration(ticket.resolution_s),
        "resolution_target": formatting.duration(ticket.sla_resolution_target_s),
        "resolution_met": ticket.sla_resolution_met,
        "is_fcr": ticket.is_fcr,
    }


def case_for(response: Response | None) -> FollowUp | None:
    """The response's follow-up case, or None (select_related already read it)."""
    if response is None:
        return None
    try:
        return response.followup
    except FollowUp.DoesNotExist:
        return None


def invitation_response(invitation: Invitation) -> Response | None:
    """The invitation's response, or None (select_related already read it)."""
    try:
        return invitation.response
    except Response.DoesNotExist:
        return None
