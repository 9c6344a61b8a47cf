"""The unsubscribe page a survey email links to: /u/<token>/.

GET (and HEAD) only shows the choices, because mail scanners follow links. A POST acts.
The RFC 8058 one-click POST (body ``List-Unsubscribe=One-Click``) comes from the mail
provider, with no cookie and no CSRF token, so this one view is exempt from the CSRF
middleware and checks CSRF itself for every other POST. The token is the only credential.
"""

from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..models import Invitation
from ..selectors import TOKEN_RE
from ..services.optout import SNOOZE_DAYS, customer_opt_out, customer_snooze

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
ACTIONS = ("unsubscribe", "snooze")


def _csrf_failure(request) -> HttpResponse | None:
    """The CSRF middleware's verdict on this request (None = fine), as if the view were not exempt."""
    return CsrfViewMiddleware(lambda req: None).process_view(request, None, (), {})


def _page(request, template, invitation, *, status=200, **context):
    response = render(
        request,
        template,
        {"language": invitation.language, "token": invitation.token, "snooze_days": SNOOZE_DAYS, **context},
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    # A token that cannot be one of ours (NUL, 5,000 characters…) is a 404 without a query.
    invitation = (
        Invitation.objects.select_related("customer").filter(token=token).first()
        if TOKEN_RE.match(token)
        else None
    )
    if invitation is None:
        response = render(request, "optout/invalid.html", status=404)
        response["X-Robots-Tag"] = "noindex"
        return response
    with translation.override(invitation.language):
        if request.method != "POST":
            return _page(request, "optout/choose.html", invitation)

        if request.POST.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE:
            customer_opt_out(customer=invitation.customer)
            return HttpResponse(_("You are unsubscribed from customer surveys."), content_type="text/plain")

        failure = _csrf_failure(request)
        if failure is not None:
            return failure
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            return _page(
                request,
                "optout/choose.html",
                invitation,
                status=400,
                error=_("Please choose one of the buttons below."),
            )
        if action == "unsubscribe":
            customer = customer_opt_out(customer=invitation.customer)
        else:
            customer = customer_snooze(customer=invitation.customer)
        return _page(request, "optout/done.html", invitation, action=action, customer=customer)
