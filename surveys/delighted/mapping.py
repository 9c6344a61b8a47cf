"""Delighted's shapes ↔ the product's: a person's properties → a ticket event, and customers,
responses and counts → Delighted's JSON (unix-second times, string ids)."""

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.urls import reverse

from ..models import Customer, QuestionKind, Response
from ..reports.metrics import nps, ratio_pct

SOURCE = "delighted"
# Properties that fill ticket fields (docs/integrations.md, "Moving from Delighted"); any other
# property is kept with the stored event and echoed back, and changes nothing.
TICKET_PROPERTIES = {
    "ticket_id": ("id",),
    "ticket_reference": ("reference",),
    "subject": ("subject",),
    "channel": ("channel",),
    "category": ("category",),
    "priority": ("priority",),
    "is_complaint": ("is_complaint",),
    "customer_id": ("customer", "id"),
    "segment": ("customer", "segment"),
    "agent": ("agent", "name"),
    "agent_id": ("agent", "id"),
    "agent_email": ("agent", "email"),
    "team": ("agent", "team"),
}
# Where a refused event field came from, in the caller's terms.
_FIELD_NAMES = {
    "ticket.customer.email": "email",
    "ticket.customer.name": "name",
    "ticket.customer.locale": "properties[locale]",
    **{
        "ticket." + ".".join(path): f"properties[{name}]"
        for name, path in TICKET_PROPERTIES.items()
        if name != "ticket_id"
    },
    "ticket.id": "properties[ticket_id]",
    "ticket.agent": "properties[agent]",
}


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def rounded(value: float | None) -> int | None:
    """Delighted's whole-number figures, rounded half away from zero (never cut)."""
    if value is None:
        return None
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def field_name(path: str) -> str:
    return _FIELD_NAMES.get(path, path)


def ticket_event_payload(*, email: str, name: str | None, properties: dict, now: datetime) -> dict:
    """The webhook-shaped close event (docs/api.md) for one person sent to: source
    ``delighted``, the ticket id from ``properties[ticket_id]`` else a new one, closed now."""
    ticket: dict = {"closed_at": now, "customer": {"email": email}}
    if name is not None:
        ticket["customer"]["name"] = name
    if properties.get("locale") is not None:
        ticket["customer"]["locale"] = properties["locale"]
    for prop, path in TICKET_PROPERTIES.items():
        if properties.get(prop) in (None, ""):
            continue
        target = ticket
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = properties[prop]
    agent = ticket.get("agent")
    if agent is not None and not agent.get("id") and not agent.get("email") and agent.get("name"):
        # Delighted users send the agent's name alone: it stands for the agent's id.
        agent["id"] = agent["name"]
    # A team without an agent is left to the event's check, which names properties[agent].
    generated = uuid.uuid4().hex
    ticket.setdefault("id", f"{SOURCE}-{generated}")
    return {
        "event_id": f"{SOURCE}-{generated}",
        "source": SOURCE,
        "type": "ticket.closed",
        "occurred_at": now,
        "ticket": ticket,
        # Kept whole with the stored event: what the caller sent, for the record.
        "delighted": {"properties": properties},
    }


def person_json(customer: Customer, *, properties: dict | None = None, scheduled_at=None) -> dict:
    body = {
        "id": str(customer.pk),
        "email": customer.email,
        "name": customer.name or None,
        "created_at": unix(customer.created_at),
        "phone_number": None,
    }
    if properties is not None:
        body["survey_scheduled_at"] = unix(scheduled_at)
        body["properties"] = properties
    return body


def person_with_history(customer) -> dict:
    """A person as ``GET people.json`` lists them (``selectors.people_listed`` annotations)."""
    return {
        **person_json(customer),
        "last_sent_at": unix(customer.last_sent_at),
        "last_responded_at": unix(customer.last_responded_at),
        "next_survey_scheduled_at": unix(customer.next_survey_scheduled_at),
    }


def person_listed(customer: Customer, *, at_key: str, at: datetime) -> dict:
    """An unsubscribe or bounce row: person_id, email, name and when."""
    return {
        "person_id": str(customer.pk),
        "email": customer.email,
        "name": customer.name or None,
        at_key: unix(at),
    }


def survey_type(response: Response) -> str | None:
    """The headline score of a response: NPS, else CSAT, else CES (docs/integrations.md)."""
    for kind, score in (
        ("nps", response.nps_score),
        ("csat", response.csat_score),
        ("ces", response.ces_score),
    ):
        if score is not None:
            return kind
    return None


_KIND_SCORE = {QuestionKind.NPS: "nps", QuestionKind.CSAT: "csat", QuestionKind.CES: "ces"}


def _additional(answer, labels: dict) -> dict | None:
    question = answer.question
    value = {"free_response": None, "scale": None, "select_one": None, "select_many": None}
    kind = answer.kind
    if kind == QuestionKind.TEXT:
        value["free_response"] = answer.text or None
        delighted_type = "free_response"
    elif answer.number is not None:
        value["scale"] = answer.number
        delighted_type = "scale"
    else:
        chosen = [
            {"id": str(code), "text": labels.get(str(code), str(code))} for code in answer.choices or []
        ]
        if kind == QuestionKind.MULTI_CHOICE:
            value["select_many"] = chosen
            delighted_type = "select_many"
        else:
            value["select_one"] = chosen[0] if chosen else None
            delighted_type = "select_one"
    return {
        "id": str(answer.pk),
        "value": value,
        "question": {"id": question.key, "type": delighted_type, "text": question.text},
    }


def _labels(question) -> dict:
    return {
        str(choice.get("value")): choice.get("en") or str(choice.get("value"))
        for choice in question.choices or []
        if isinstance(choice, dict)
    }


def response_json(response: Response, *, expand_person: bool) -> dict:
    """One response in Delighted's shape. The headline score is ``score``; the first free-text
    answer is ``comment``; every other answer is an additional answer."""
    kind = survey_type(response)
    invitation, ticket = response.invitation, response.invitation.ticket
    customer = invitation.customer
    comment, additional = None, []
    for answer in response.answers.all():
        if answer.kind == QuestionKind.TEXT and comment is None:
            comment = answer.text or None
            continue
        if _KIND_SCORE.get(answer.kind) == kind:
            continue
        additional.append(_additional(answer, _labels(answer.question)))
    person_properties = {
        key: value
        for key, value in (
            ("campaign", invitation.campaign.name),
            ("ticket_id", ticket.external_id),
            ("ticket_reference", ticket.reference or None),
            ("source", ticket.source),
            ("channel", ticket.channel or None),
            ("category", ticket.category or None),
            ("priority", ticket.priority or None),
            ("team", ticket.team.name if ticket.team_id else None),
            ("agent", ticket.agent.name if ticket.agent_id else None),
            ("segment", customer.segment or None),
            ("locale", response.language),
            ("imported_from", response.imported_from or None),
        )
        if value is not None
    }
    admin_path = reverse("admin:surveys_response_change", args=[response.pk])
    return {
        "id": str(response.pk),
        "person": person_json(customer) if expand_person else str(customer.pk),
        "survey_type": kind,
        "score": getattr(response, f"{kind}_score") if kind else None,
        "comment": comment,
        "permalink": settings.SITE_URL + admin_path,
        "created_at": unix(response.started_at),
        "updated_at": unix(response.updated_at),
        "person_properties": person_properties,
        "notes": [],
        "tags": [],
        "additional_answers": additional,
    }


def metrics_json(counts: dict) -> dict:
    """Delighted's NPS metrics from ``survey_counts``; every figure null when n = 0."""
    promoters, passives, detractors = counts["promoters"], counts["passives"], counts["detractors"]
    n = promoters + passives + detractors
    return {
        "nps": rounded(nps(promoters, passives, detractors)),
        "promoter_count": promoters,
        "promoter_percent": rounded(ratio_pct(promoters, n)),
        "passive_count": passives,
        "passive_percent": rounded(ratio_pct(passives, n)),
        "detractor_count": detractors,
        "detractor_percent": rounded(ratio_pct(detractors, n)),
        "response_count": n,
    }
