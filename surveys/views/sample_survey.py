"""The test survey behind the admin's "Send me a test" email: /s/test/<signed>/.

The campaign's questionnaire as the customer would see it, in a "test — nothing is recorded"
mode: a POST is validated like a customer's and answered with the thanks page, and nothing is
written, anywhere. Kept apart from views/public.py so the customer's page stays as it is.
"""

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..forms import SurveyForm, answer_display, answer_initial
from ..models import SCALE_RANGES, Campaign, Language, Questionnaire
from ..sample_links import SampleLinkExpired, sample_link_read
from ..selectors import questionnaire_questions

LANGUAGE_NAMES = ((Language.EN, "English"), (Language.ZH_HANS, "简体中文"))


def _language(request: HttpRequest, default: str) -> str:
    chosen = request.GET.get("lang")
    return chosen if chosen in Language.values else default


def _closed(request, *, expired: bool, language: str) -> HttpResponse:
    if expired:
        heading = _("This test link has expired")
        message = _("Test links stay open for a week. Send yourself a new test from the campaign.")
        status = HTTPStatus.GONE
    else:
        heading = _("We cannot find this survey")
        message = _("The link may be incomplete. Please open it straight from your email, exactly as it is.")
        status = HTTPStatus.NOT_FOUND
    context = {
        "state": "test_" + ("expired" if expired else "unavailable"),
        "heading": heading,
        "message": message,
        "language": language,
        "languages": LANGUAGE_NAMES,
    }
    return render(request, "surveys/state.html", context, status=status)


def _score(raw: str | None, question) -> int | None:
    raw = (raw or "").strip()
    scale = SCALE_RANGES.get(question.kind) if question is not None else None
    if scale is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
        return None
    return int(raw) if scale[0] <= int(raw) <= scale[1] else None


# csrf_exempt and no cookie, like the customer's page: the signature is the only key, and a
# forged post could do nothing anyway, since nothing is recorded.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sample_survey(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        link = sample_link_read(signed)
    except SampleLinkExpired:
        language = _language(request, Language.EN)
        with translation.override(language):
            return _closed(request, expired=True, language=language)
    questionnaire = None
    if link is not None and Campaign.objects.filter(pk=link.campaign_id).exists():
        questionnaire = Questionnaire.objects.filter(pk=link.questionnaire_id).first()
    language = _language(request, link.language if link else Language.EN)
    with translation.override(language):
        if questionnaire is None:
            return _closed(request, expired=False, language=language)
        questions = questionnaire_questions(questionnaire)
        context = {
            "questionnaire": questionnaire,
            "language": language,
            "languages": LANGUAGE_NAMES,
            "test_mode": True,
        }
        if request.method != "POST":
            initial = {}
            first = questions[0] if questions else None
            score = _score(request.GET.get("score"), first)
            if score is not None:
                initial[first.key] = answer_initial(first, number=score, choices=[], text="")
            form = SurveyForm(
                initial=initial, questionnaire=questionnaire, language=language, questions=questions
            )
            return render(request, "surveys/survey.html", {**context, "form": form})
        form = SurveyForm(request.POST, questionnaire=questionnaire, language=language, questions=questions)
        if not form.is_valid():
            return render(
                request, "surveys/survey.html", {**context, "form": form}, status=HTTPStatus.BAD_REQUEST
            )
        given = [
            (
                a.question.tr("text", language),
                answer_display(
                    a.question, number=a.number, choices=a.choices, text=a.text, language=language
                ),
            )
            for a in form.answers()
        ]
        return render(request, "surveys/thanks.html", {**context, "given": given})


@never_cache
@require_http_methods(["GET", "HEAD"])
def sample_unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    """The test email's unsubscribe link: says what the real one does, and does nothing."""
    try:
        link = sample_link_read(signed)
    except SampleLinkExpired:
        link = None
    language = _language(request, link.language if link else Language.EN)
    with translation.override(language):
        if link is None:
            return _closed(request, expired=False, language=language)
        context = {
            "state": "test_unsubscribe",
            "heading": _("Test email — nothing was recorded"),
            "message": _("In a real survey email, this link lets the customer stop receiving surveys."),
            "language": language,
            "languages": LANGUAGE_NAMES,
            "test_mode": True,
        }
        return render(request, "surveys/state.html", context)
