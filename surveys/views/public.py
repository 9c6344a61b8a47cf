"""The customer's survey page, /s/<token>/: no login, the token is the only key.

A GET never records anything (mail scanners follow links); a one-click score posted by the
page's script is judged before it counts (services/score_clicks.py). Every closed state is a
friendly page in the customer's language with its own status code.
"""

from __future__ import annotations

import math
from http import HTTPStatus

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods

from ..forms import SurveyForm, answer_display, answer_initial
from ..models import SCALE_RANGES, Answer, Invitation, Language, Response
from ..ratelimit import SCORE_SCOPES, SUBMIT_SCOPES, client_ip, retry_after_seconds
from ..selectors import invitation_for_token, survey_questions
from ..services.notifications import response_alert_due
from ..services.responses import (
    ScoreInvalidError,
    SurveyClosedError,
    SurveyState,
    invitation_survey_state,
    response_submit,
)
from ..services.score_clicks import client_network, score_click_record
from ..survey_page import posted_values
from ..tasks.notifications import response_alert_publish

# The languages offered by the switcher, each named in itself.
LANGUAGE_NAMES = ((Language.EN, "English"), (Language.ZH_HANS, "简体中文"))
RATE_LIMITED = "rate_limited"
# A switcher link the page script turns into a post of the answers so far (survey.js).
LANGUAGE_ACTION = "language"
STATE_STATUS = {
    SurveyState.EXPIRED: HTTPStatus.GONE,
    SurveyState.CANCELLED: HTTPStatus.GONE,
    SurveyState.PAUSED: HTTPStatus.FORBIDDEN,
    SurveyState.UNAVAILABLE: HTTPStatus.NOT_FOUND,
}
STATE_TEXT = {
    SurveyState.EXPIRED: (
        gettext_lazy("This survey link has expired"),
        gettext_lazy(
            "Survey links stay open for a limited time, and this one has closed. "
            "Thank you all the same: if you contact us again, we will ask you afresh."
        ),
    ),
    SurveyState.PAUSED: (
        gettext_lazy("This survey is paused"),
        gettext_lazy(
            "We are not collecting answers to this survey right now. Please try the link again later."
        ),
    ),
    SurveyState.CANCELLED: (
        gettext_lazy("This survey is no longer needed"),
        gettext_lazy(
            "Your ticket was reopened, so this survey was withdrawn. We will ask you again once it is resolved."
        ),
    ),
    SurveyState.UNAVAILABLE: (
        gettext_lazy("We cannot find this survey"),
        gettext_lazy(
            "The link may be incomplete. Please open it straight from your email, exactly as it is."
        ),
    ),
}


def _language(request: HttpRequest, invitation: Invitation | None) -> str:
    chosen = request.GET.get("lang")
    if chosen in Language.values:
        return chosen
    if invitation is not None and invitation.language in Language.values:
        return invitation.language
    current = translation.get_language() or Language.EN
    return Language.ZH_HANS if current.lower().startswith("zh") else Language.EN


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _page_url(token: str, language: str) -> str:
    return f"{reverse('surveys:survey', args=[token])}?lang={language}"


def redirect(url: str) -> HttpResponse:
    """303 See Other: after a POST the browser comes back with a GET, so a reload never re-posts."""
    page = HttpResponseRedirect(url)
    page.status_code = HTTPStatus.SEE_OTHER
    return page


def _state_page(request, state: str, language: str, *, token: str | None = None) -> HttpResponse:
    status = STATE_STATUS.get(state, HTTPStatus.NOT_FOUND)
    heading, message = STATE_TEXT.get(state, STATE_TEXT[SurveyState.UNAVAILABLE])
    if _wants_json(request):
        return JsonResponse({"saved": False, "state": state, "message": str(message)}, status=status)
    context = {
        "state": state,
        "heading": heading,
        "message": message,
        "language": language,
        "languages": LANGUAGE_NAMES,
        "token": token,
    }
    return render(request, "surveys/state.html", context, status=status)


def _answers(response: Response) -> list[Answer]:
    return list(
        Answer.objects.filter(response=response).select_related("question").order_by("question__order")
    )


def _thanks_page(request, invitation: Invitation, response: Response, language: str) -> HttpResponse:
    given = [
        (
            a.question.tr("text", language),
            answer_display(a.question, number=a.number, choices=a.choices, text=a.text, language=language),
        )
        for a in _answers(response)
    ]
    context = {
        "questionnaire": invitation.questionnaire,
        "language": language,
        "languages": LANGUAGE_NAMES,
        "token": invitation.token,
        "given": given,
    }
    return render(request, "surveys/thanks.html", context)


def _score_from(raw: str | None, question) -> int | None:
    scale = SCALE_RANGES.get(question.kind) if question is not None else None
    raw = (raw or "").strip()
    # isdigit() alone admits "²" and other digits int() refuses.
    if scale is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
        return None
    score = int(raw)
    return score if scale[0] <= score <= scale[1] else None


def _form(invitation, questions, language, *, data=None, initial=None) -> SurveyForm:
    """The customer's form, bound to ``data`` when given (every form on this page comes from here)."""
    return SurveyForm(
        data,
        initial=initial,
        questionnaire=invitation.questionnaire,
        language=language,
        questions=questions,
        score_button=True,
    )


def _survey_page(request, invitation, questions, language, *, form=None, status=HTTPStatus.OK, refused=None):
    response = getattr(invitation, "response", None)
    autosave = None
    if form is None:
        initial = {}
        if response is not None:
            for a in _answers(response):
                initial[a.question.key] = answer_initial(
                    a.question, number=a.number, choices=a.choices, text=a.text
                )
        first = questions[0] if questions else None
        autosave = _score_from(request.GET.get("score"), first)
        if autosave is not None:
            initial[first.key] = autosave
        form = _form(invitation, questions, language, initial=initial)
    context = {
        "questionnaire": invitation.questionnaire,
        "form": form,
        "language": language,
        "languages": LANGUAGE_NAMES,
        "token": invitation.token,
        "form_action": _page_url(invitation.token, language),
        "score_key": questions[0].key if questions and questions[0].kind in SCALE_RANGES else "",
        "autosave": autosave,
        "saved": response is not None,
        "refused": refused,
    }
    return render(request, "surveys/survey.html", context, status=status)


def _kept_form(request, invitation, questions, language) -> SurveyForm:
    """The form showing what was just posted, unvalidated: after a refused post or a language
    switch nothing typed is lost, and no field is marked invalid for a mistake nobody made."""
    form = _form(invitation, questions, language)
    form.initial = posted_values(form, request.POST)
    form.cacheable = False
    return form


def retry_wait_text(seconds: int) -> str:
    """When to send again, from Retry-After: seconds under a minute, else minutes rounded up."""
    if seconds < 60:
        return ngettext(
            "Please send it again in %(n)s second.", "Please send it again in %(n)s seconds.", seconds
        ) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Please send it again in %(n)s minute.", "Please send it again in %(n)s minutes.", minutes
    ) % {"n": minutes}


def _rate_limited(request, invitation: Invitation, scopes: tuple[str, str]) -> int | None:
    """Seconds until every exceeded limit's window ends (for Retry-After), or None when not limited."""
    # Both counters always count, so a blocked IP cannot spend another token's allowance freely.
    token_scope, ip_scope = scopes
    return retry_after_seconds([(token_scope, invitation.token), (ip_scope, client_ip(request))])


def _refused(request, invitation, questions, language, *, retry_after: int, score: bool) -> HttpResponse:
    """429 with Retry-After. The page shows the form again with everything posted and says when
    to send it again; a refused score save tells the script the answer travels with the submit
    (whose allowance is separate)."""
    wait = retry_wait_text(retry_after)
    if _wants_json(request):
        if score:
            message = _(
                "Your rating could not be saved just now. It will be saved with your answers when you send them."
            )
        else:
            message = f"{_('This link was used many times in a short while.')} {wait}"
        page = JsonResponse(
            {"saved": False, "state": RATE_LIMITED, "message": message, "retry_after": retry_after},
            status=HTTPStatus.TOO_MANY_REQUESTS,
        )
    else:
        refused = {
            "heading": _("Not sent yet"),
            "message": _(
                "This link was used many times in a short while. Everything you entered is kept below."
            ),
            "wait": wait,
        }
        form = _kept_form(request, invitation, questions, language)
        page = _survey_page(
            request,
            invitation,
            questions,
            language,
            form=form,
            status=HTTPStatus.TOO_MANY_REQUESTS,
            refused=refused,
        )
    page["Retry-After"] = str(retry_after)
    return page


def _save_score(request, invitation, questions, language) -> HttpResponse:
    first = questions[0] if questions else None
    score = _score_from(request.POST.get(first.key) if first else None, first)
    try:
        if score is None:
            raise ScoreInvalidError("no valid score posted")
        # Stored with what tells a person from a mail scanner; counted only once judged.
        score_click_record(
            invitation=invitation,
            question=first,
            score=score,
            language=language,
            source=request.POST.get("via", ""),
            user_agent=request.headers.get("User-Agent", ""),
            network=client_network(client_ip(request)),
        )
    except ScoreInvalidError:
        message = _("Please choose one of the scores.")
        if _wants_json(request):
            return JsonResponse({"saved": False, "message": message}, status=HTTPStatus.BAD_REQUEST)
        form = _form(invitation, questions, language, data=request.POST)
        form.is_valid()
        if first is not None:
            form.add_error(first.key if first.key in form.fields else None, message)
        return _survey_page(
            request, invitation, questions, language, form=form, status=HTTPStatus.BAD_REQUEST
        )
    if _wants_json(request):
        return JsonResponse({"saved": True, "message": _("Thanks — your rating is saved.")})
    return redirect(_page_url(invitation.token, language))


def _submit(request, invitation, questions, language) -> HttpResponse:
    form = _form(invitation, questions, language, data=request.POST)
    if not form.is_valid():
        return _survey_page(
            request, invitation, questions, language, form=form, status=HTTPStatus.BAD_REQUEST
        )
    response = response_submit(invitation=invitation, answers=form.answers(), language=language)
    if response_alert_due(response=response, campaign=invitation.campaign):
        # After the commit (the service's transaction has ended, unless a caller's is open), and
        # never raising: with the broker down the alert sweep sends it (README, "Reliability").
        transaction.on_commit(lambda: response_alert_publish(response.pk))
    return redirect(_page_url(invitation.token, language))


def _already_answered(request, token: str, language: str) -> HttpResponse:
    # A double submit: the first one won; the page shows it rather than an error.
    if _wants_json(request):
        return JsonResponse({"saved": False, "state": SurveyState.ANSWERED}, status=HTTPStatus.CONFLICT)
    return redirect(_page_url(token, language))


# No CSRF token and no cookie: the unguessable token in the URL is the only credential, so a
# forged cross-site post would need the very secret it is trying to ride on. The page works in
# mail apps' browsers that block cookies, and sets none.
# never_cache: Cache-Control no-store, since the thanks page shows the customer's answers.
# gzip_page: 19 KB of HTML becomes ~3 KB on a slow phone. BREACH needs a secret in the body
# next to text the attacker chooses, on a request the attacker makes the victim's browser send.
# This page has no CSRF token and sets no cookie; its one secret, the token in form_action, is
# also in the URL, so an attacker able to send such a request already holds it. Never add this
# to a page that carries a CSRF token (the unsubscribe page does): docs/survey-page.md.
@csrf_exempt
@gzip_page
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for_token(token, with_subscribers=request.method == "POST")
    language = _language(request, invitation)
    with translation.override(language):
        if invitation is None:
            return _state_page(request, SurveyState.UNAVAILABLE, language)
        response = getattr(invitation, "response", None)
        state = invitation_survey_state(invitation=invitation, response=response, now=timezone.now())
        if state == SurveyState.ANSWERED:
            if request.method == "POST":
                return _already_answered(request, token, language)
            return _thanks_page(request, invitation, response, language)
        if state != SurveyState.OPEN:
            return _state_page(request, state, language, token=token)
        questions = survey_questions(invitation.questionnaire)
        if request.method != "POST":
            return _survey_page(request, invitation, questions, language)
        action = request.POST.get("action")
        if action == LANGUAGE_ACTION:
            # Writes nothing, so counts nothing: the answers so far, in the chosen language.
            form = _kept_form(request, invitation, questions, language)
            return _survey_page(request, invitation, questions, language, form=form)
        score = action == "score"
        retry_after = _rate_limited(request, invitation, SCORE_SCOPES if score else SUBMIT_SCOPES)
        if retry_after is not None:
            return _refused(request, invitation, questions, language, retry_after=retry_after, score=score)
        try:
            if score:
                return _save_score(request, invitation, questions, language)
            return _submit(request, invitation, questions, language)
        except SurveyClosedError as closed:
            if closed.state == SurveyState.ANSWERED:
                return _already_answered(request, token, language)
            return _state_page(request, closed.state, language, token=token)
