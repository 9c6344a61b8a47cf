"""Read-only record pages under /reports/: one response and one ticket, opened from the
dashboard's comments and breaches. Thin views: reads and the access rule in
surveys/reports/records.py. They read the primary, not the reports replica (reads_reports): a
few rows by key cost it nothing, and a record is then never older than the row that linked to
it."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Response, Ticket
from ..reports.access import report_agent_scope
from ..reports.records import (
    answer_rows,
    case_for,
    invitation_response,
    response_record,
    service_levels,
    ticket_events,
    ticket_invitations,
    ticket_record,
    viewer_language,
)
from ..selectors_followups import followup_scope


def _may_open_case(user, case) -> bool:
    # The case page's own rule (selectors_followups): managers every case, agents their own.
    return case is not None and (followup_scope(user) is None or case.owner_id == user.pk)


@require_GET
@login_required
def response_detail(request, pk: int):
    agent_id = report_agent_scope(request.user)
    try:
        response = response_record(pk=pk, agent_id=agent_id)
    except Response.DoesNotExist:
        raise Http404 from None
    ticket = response.invitation.ticket
    case = case_for(response)
    context = {
        "agent_scope": agent_id,
        "response": response,
        "invitation": response.invitation,
        "ticket": ticket,
        "customer": response.invitation.customer,
        "questionnaire_title": response.invitation.questionnaire.tr("title", viewer_language()),
        "answers": answer_rows(response, viewer_language()),
        "levels": service_levels(ticket),
        "case": case,
        "case_link": _may_open_case(request.user, case),
    }
    return render(request, "reports/response.html", context)


@require_GET
@login_required
def ticket_detail(request, pk: int):
    agent_id = report_agent_scope(request.user)
    try:
        ticket = ticket_record(pk=pk, agent_id=agent_id)
    except Ticket.DoesNotExist:
        raise Http404 from None
    invitations = []
    for invitation in ticket_invitations(ticket):
        response = invitation_response(invitation)
        case = case_for(response)
        invitations.append(
            {
                "invitation": invitation,
                "response": response,
                "case": case,
                "case_link": _may_open_case(request.user, case),
            }
        )
    context = {
        "agent_scope": agent_id,
        "ticket": ticket,
        "customer": ticket.customer,
        "levels": service_levels(ticket),
        "events": ticket_events(ticket),
        "invitations": invitations,
    }
    return render(request, "reports/ticket.html", context)
