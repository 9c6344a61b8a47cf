"""Delighted's CSV export of responses → the product's tickets, invitations and responses, so a
team keeps its history (``manage.py import_delighted``; docs/integrations.md).

Each row becomes a closed ticket (source ``delighted-import``), an answered invitation of the
chosen campaign that was never sent by us (``sent_at`` empty: it stays out of the response
rate), and a complete response marked ``imported_from = "delighted"`` with the row's id, so
a second import of the file adds nothing. Imported responses count in NPS, CSAT and CES and
their trends from the next rollup refresh; they raise no alert (``alerted_at`` is set) and
open no follow-up.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from ..bounds import moment_problem, text_problem
from ..ingest.schema import PayloadInvalid
from ..models import (
    SCALE_RANGES,
    TEXT_ANSWER_MAX,
    Answer,
    Campaign,
    ImportSource,
    Invitation,
    InvitationStatus,
    QuestionKind,
    Response,
)
from .mapping import TICKET_PROPERTIES, ticket_event_payload
from .services import ticket_event_submit

IMPORT_SOURCE = "delighted-import"
# Header names seen in Delighted's export and API field names, compared ignoring case.
COLUMNS = {
    "id": ("response id", "id", "response_id"),
    "score": ("score",),
    "comment": ("comment",),
    "created": ("response timestamp", "created_at", "created at", "date", "timestamp"),
    "email": ("email", "person email", "person_email"),
    "name": ("name", "person name"),
    "survey_type": ("survey type", "survey_type"),
}
KINDS = {"nps": QuestionKind.NPS, "csat": QuestionKind.CSAT, "ces": QuestionKind.CES}


class RowRefused(Exception):
    """This row cannot be imported; the message says which column and why."""


@dataclass(frozen=True)
class Header:
    """Where each known column is, and the property columns (every other one)."""

    known: dict[str, str]
    properties: list[str]


def header_read(fieldnames: list[str] | None) -> Header:
    """Map the file's header; raises ValueError when a required column is missing."""
    names = [name for name in fieldnames or [] if name is not None]
    lowered = {name.strip().lower(): name for name in names}
    known = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in lowered:
                known[key] = lowered[alias]
                break
    missing = [COLUMNS[key][0] for key in ("id", "score", "created", "email") if key not in known]
    if missing:
        raise ValueError("missing column(s): " + ", ".join(missing))
    used = set(known.values())
    return Header(known=known, properties=[name for name in names if name not in used])


def moment_parse(value: str) -> datetime:
    """Unix seconds, or ISO 8601 / ``2024-04-17 21:34:20 -0700``; no offset means UTC."""
    text = value.strip()
    try:
        if text.isascii() and text.isdigit() and len(text) <= 12:
            moment = datetime.fromtimestamp(int(text), tz=UTC)
        else:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    except (ValueError, OverflowError) as exc:
        raise RowRefused("created: not a time (Unix seconds or ISO 8601)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if problem := moment_problem(moment):
        raise RowRefused(f"created: {problem}")
    return moment


def _score(value: str, kind: str) -> int:
    low, high = SCALE_RANGES[KINDS[kind]]
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise RowRefused(f"score: must be a whole number from {low} to {high} for {kind}")
    return int(text)


def _email(value: str) -> str:
    text = value.strip()
    try:
        validate_email(text)
    except ValidationError as exc:
        raise RowRefused("email: not a valid email address") from exc
    return text


def delighted_row_import(
    *, row: Mapping[str, str], header: Header, campaign: Campaign, default_kind: str
) -> bool:
    """Import one row in one transaction; False when its id was imported before (nothing
    written). Raises ``RowRefused`` naming the column, with nothing written."""
    cell = {key: (row.get(column) or "") for key, column in header.known.items()}
    imported_id = cell["id"].strip()
    if not imported_id or len(imported_id) > 100 or "\x00" in imported_id:
        raise RowRefused("id: required, at most 100 characters")
    kind = (cell.get("survey_type") or default_kind).strip().lower()
    if kind not in KINDS:
        raise RowRefused("survey type: must be nps, csat or ces")
    score = _score(cell["score"], kind)
    created = moment_parse(cell["created"])
    email = _email(cell["email"])
    if text_problem(cell.get("comment", "")):
        raise RowRefused(f"comment: {text_problem(cell['comment'])}")
    name = cell.get("name", "").strip() or None
    properties = {
        column: row[column].strip() for column in header.properties if row.get(column) and row[column].strip()
    }
    questions = list(campaign.questionnaire.questions.filter(kind__in=(KINDS[kind], QuestionKind.TEXT)))
    if Response.objects.filter(imported_from=ImportSource.DELIGHTED, imported_id=imported_id).exists():
        return False
    properties = _ticket_properties(properties)
    payload = ticket_event_payload(email=email, name=name, properties=properties, now=created)
    payload |= {"event_id": f"{IMPORT_SOURCE}-{imported_id}", "source": IMPORT_SOURCE}
    if not properties.get("ticket_id"):
        payload["ticket"]["id"] = f"{IMPORT_SOURCE}-{imported_id}"
    try:
        with transaction.atomic():
            recorded = ticket_event_submit(payload=payload, create_invitations=False)
            if not recorded.created:
                return False
            _write(
                recorded.ticket,
                campaign,
                kind,
                score,
                cell.get("comment", ""),
                created,
                imported_id,
                questions,
            )
    except PayloadInvalid as exc:
        raise RowRefused("; ".join(f"{path}: {' '.join(m)}" for path, m in exc.errors.items())) from exc
    except (IntegrityError, ValidationError) as exc:
        raise RowRefused("the ticket already has a survey of this campaign") from exc
    return True


def _ticket_properties(properties: dict) -> dict:
    """Property columns named like a ticket field (docs/integrations.md) fill it; the locale
    column sets the customer's language; the rest are kept with the stored event."""
    return {
        key.strip().lower() if key.strip().lower() in {*TICKET_PROPERTIES, "locale"} else key: value
        for key, value in properties.items()
    }


def _write(ticket, campaign, kind, score, comment, created, imported_id, questions) -> None:
    invitation = Invitation(
        campaign=campaign,
        ticket=ticket,
        customer=ticket.customer,
        questionnaire_id=campaign.questionnaire_id,
        cycle=ticket.cycle,
        language=ticket.customer.locale,
        status=InvitationStatus.ANSWERED,
        send_after=created,
    )
    invitation.full_clean()
    invitation.save()
    response = Response(
        invitation=invitation,
        started_at=created,
        submitted_at=created,
        is_complete=True,
        language=invitation.language,
        imported_from=ImportSource.DELIGHTED,
        imported_id=imported_id,
        # History raises no alert: the claim is taken at import.
        alerted_at=created,
        **{f"{kind}_score": score},
    )
    response.full_clean()
    response.save()
    answers = []
    scale = next((q for q in questions if q.kind == KINDS[kind]), None)
    if scale is not None:
        answers.append(Answer(response=response, question=scale, kind=scale.kind, number=score))
    text = next((q for q in questions if q.kind == QuestionKind.TEXT), None)
    if text is not None and comment.strip():
        answers.append(
            Answer(response=response, question=text, kind=text.kind, text=comment.strip()[:TEXT_ANSWER_MAX])
        )
    Answer.objects.bulk_create(answers)
