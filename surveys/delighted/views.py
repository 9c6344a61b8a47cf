"""The Delighted-compatible endpoints (docs/integrations.md, "Moving from Delighted").

Thin: parameters are checked in ``params``, reads are ``selectors``, writes ``services``,
shapes ``mapping``; ``http.endpoint`` authenticates and answers refusals Delighted's way."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import JsonResponse
from django.utils import timezone

from ..bounds import text_problem
from . import mapping, params, selectors, services
from .http import Refused, body_params, endpoint, invalid

MAX_DELAY = 366 * 24 * 3600
READ = "surveys.view_reports"
PEOPLE = "surveys.view_customer"
SEND = "surveys.add_ticketevent"
OPT_OUT = "surveys.change_customer"
ERASE = "surveys.erase_customer"


def _listed(rows) -> JsonResponse:
    return JsonResponse(rows, safe=False)


def _email(value, field: str = "email") -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "can't be blank")
    if text_problem(value):
        raise invalid(field, "is invalid")
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise invalid(field, "is invalid") from exc
    if len(value) > 254:
        raise invalid(field, "is invalid")
    return value


def _text(value, field: str, *, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise invalid(field, f"must be text of at most {max_length} characters")
    if problem := text_problem(value):
        raise invalid(field, str(problem))
    return value


def _flag(value, field: str) -> bool:
    if value is None or isinstance(value, bool):
        return value is not False
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise invalid(field, "must be true or false")


def _delay(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid("delay", "must be a whole number of seconds")
    text = str(value)
    if not text.isascii() or not text.isdigit() or int(text) > MAX_DELAY:
        raise invalid("delay", f"must be a whole number of seconds from 0 to {MAX_DELAY}")
    return int(text)


def _properties(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("properties", "must be an object of property names and values")
    for key, item in value.items():
        if item is not None and not isinstance(item, str | int | float | bool):
            raise invalid(f"properties[{key}]", "must be text, a number or a boolean")
        if text_problem(key) or (isinstance(item, str) and text_problem(item)):
            raise invalid(f"properties[{key}]", "must be valid text without NUL")
    return value


@endpoint(GET=PEOPLE, POST=SEND)
def people(request, *, user):
    """``POST people.json``: create or update a person and (unless ``send`` is false) survey
    them as a ticket closed now. ``GET``: list people, ``per_page`` at a time, the next page
    in the ``Link`` header as Delighted's clients follow it."""
    if request.method != "POST":
        return _people_list(request)
    body = body_params(request)
    if body.get("channel") not in (None, "", "email") or (body.get("phone_number") and not body.get("email")):
        raise invalid("channel", "only email surveys are supported")
    email = _email(body.get("email"))
    name = _text(body.get("name"), "name", max_length=200)
    properties = _properties(body.get("properties"))
    if body.get("locale") not in (None, "") and "locale" not in properties:
        properties = {**properties, "locale": body["locale"]}
    locale = _text(properties.get("locale"), "properties[locale]", max_length=20)
    delay = _delay(body.get("delay"))
    if not _flag(body.get("send"), "send"):
        customer = services.person_upsert(email=email, name=name, locale=locale)
        return JsonResponse(mapping.person_json(customer, properties=properties))
    surveyed = services.person_survey(email=email, name=name, properties=properties, delay=delay)
    return JsonResponse(
        mapping.person_json(surveyed.customer, properties=properties, scheduled_at=surveyed.scheduled_at)
    )


def _people_list(request) -> JsonResponse:
    query = request.GET
    if params.single(query, "phone_number"):
        raise invalid("phone_number", "is not supported: surveys here go by email only")
    email = params.single(query, "email")
    page = params.page(query)
    people = selectors.people_listed(window=params.window(query), email=_email(email) if email else None)
    # One row past the page tells whether there is a next one.
    start = (page.number - 1) * page.size
    rows = list(people[start : start + page.size + 1])
    response = _listed([mapping.person_with_history(c) for c in rows[: page.size]])
    if len(rows) > page.size:
        following = query.copy()
        following["page"] = str(page.number + 1)
        following["per_page"] = str(page.size)
        response["Link"] = f'<{request.build_absolute_uri(request.path)}?{following.urlencode()}>; rel="next"'
    return response


@endpoint(DELETE=ERASE)
def person(request, identifier: str, *, user):
    """``DELETE people/<id | email:… >``: erase the person's personal data (202)."""
    customer = services.person_find(identifier)
    if customer is None:
        raise Refused(404, message="No such person.")
    services.person_erase(customer=customer)
    return JsonResponse({"ok": True}, status=202)


@endpoint(DELETE=SEND)
def survey_requests_pending(request, email: str, *, user):
    """``DELETE people/<email>/survey_requests/pending``: cancel the scheduled surveys."""
    customer = services.person_find(f"email:{_email(email, 'person_email')}")
    if customer is None:
        raise Refused(404, message="No such person.")
    services.person_pending_delete(customer=customer)
    return JsonResponse({"ok": True})


@endpoint(GET=READ)
def survey_responses(request, *, user):
    """``GET survey_responses.json``: responses, oldest first, 20 a page."""
    query = request.GET
    email = params.single(query, "person_email")
    rows = selectors.responses_listed(
        created=params.window(query),
        updated=params.window(query, "updated_since", "updated_until"),
        campaign_id=params.identifier(query, "trend"),
        person_id=params.identifier(query, "person_id"),
        person_email=_email(email, "person_email") if email else None,
        order=params.order(query),
    )
    expand = params.expand(query)
    page = params.page(query)
    return _listed([mapping.response_json(r, expand_person="person" in expand) for r in page.slice(rows)])


@endpoint(GET=READ)
def metrics(request, *, user):
    """``GET metrics.json``: NPS and its counts; without ``since`` the last 30 days."""
    window = params.window(request.GET)
    if window.since is None:
        until = window.until or timezone.now()
        window = params.Window(until - timedelta(days=30), window.until)
    counts = selectors.nps_counts(window=window, campaign_id=params.identifier(request.GET, "trend"))
    return JsonResponse(mapping.metrics_json(counts))


@endpoint(GET=READ, POST=OPT_OUT)
def unsubscribes(request, *, user):
    """``GET unsubscribes.json`` lists opted-out people; ``POST`` with ``person_email`` opts
    one out (the product's opt-out: no survey of any campaign, scheduled ones cancelled)."""
    if request.method == "POST":
        email = _email(body_params(request).get("person_email"), "person_email")
        services.person_unsubscribe(email=email)
        return JsonResponse({"ok": True})
    rows = params.page(request.GET).slice(selectors.unsubscribed_customers(window=params.window(request.GET)))
    return _listed([mapping.person_listed(c, at_key="unsubscribed_at", at=c.opted_out_at) for c in rows])


@endpoint(GET=READ)
def bounces(request, *, user):
    """``GET bounces.json``: people whose survey email failed for good."""
    rows = params.page(request.GET).slice(selectors.bounced_customers(window=params.window(request.GET)))
    return _listed([mapping.person_listed(c, at_key="bounced_at", at=c.bounced_at) for c in rows])
