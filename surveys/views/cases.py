"""Follow-up case pages: the list, one case, and one POST per action on it. Thin views:
access in selectors_followups, writes in services (docs/follow-ups.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..forms import answer_display
from ..forms_followups import AssignForm, CloseForm, EmailForm, NotesForm
from ..models import FollowUp, FollowUpStatus
from ..selectors_followups import CASE_LISTS, followup_for, followup_scope, followups_for, overdue_q
from ..services.followup_emails import FollowUpEmailError, followup_email_draft, followup_email_send
from ..services.followups import (
    followup_assign,
    followup_close,
    followup_contact_record,
    followup_notes_set,
    followup_reopen,
)

PAGE_SIZE = 200


def _case(request, pk: int) -> FollowUp:
    try:
        return followup_for(user=request.user, pk=pk)
    except FollowUp.DoesNotExist:
        raise Http404 from None


def _detail(request, followup: FollowUp, status: int = 200, **forms):
    """The case page, with the forms given (bound, showing their errors) or fresh ones."""
    response = followup.response
    language = response.language
    answers = [
        (
            a.question.tr("text", language),
            answer_display(a.question, number=a.number, choices=a.choices, text=a.text, language=language),
        )
        for a in response.answers.all()
    ]
    closed = followup.status == FollowUpStatus.CLOSED
    draft = followup_email_draft(followup=followup, sender=request.user)
    context = {
        "followup": followup,
        "customer": response.invitation.customer,
        "answers": answers,
        "is_overdue": not closed and followup.due_at is not None and followup.due_at <= timezone.now(),
        "closed": closed,
        "can_assign": followup_scope(request.user) is None,
        "assign_form": forms.get("assign_form") or AssignForm(initial={"owner": followup.owner_id}),
        "notes_form": forms.get("notes_form") or NotesForm(initial={"notes": followup.notes}),
        "email_form": forms.get("email_form")
        or EmailForm(initial={"subject": draft.subject, "body": draft.body}),
        "email_language": draft.language,
        "close_form": forms.get("close_form") or CloseForm(),
        "resurvey": getattr(followup, "resurvey", None),
    }
    return render(request, "cases/detail.html", context, status=status)


@require_GET
@login_required
def case_list(request):
    which = request.GET.get("list", "open")
    if which not in CASE_LISTS:
        return render(request, "cases/bad_list.html", {"lists": CASE_LISTS}, status=400)
    now = timezone.now()
    cases = followups_for(user=request.user, which=which, now=now).annotate(
        is_overdue=Case(When(overdue_q(now), then=True), default=False, output_field=BooleanField())
    )
    context = {
        "cases": cases[:PAGE_SIZE],
        "which": which,
        "lists": CASE_LISTS,
        "all_cases": followup_scope(request.user) is None,
        "page_size": PAGE_SIZE,
    }
    return render(request, "cases/list.html", context)


@require_GET
@login_required
def case_detail(request, pk: int):
    return _detail(request, _case(request, pk))


def _form_action(request, followup: FollowUp, form_class, form_name: str, act, done: str):
    """The shape every form on the case page shares: a bad form or a refused write shows the
    page again with its errors (400); success redirects with ``done`` as the message."""
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except (ValidationError, FollowUpEmailError) as exc:
            for message in getattr(exc, "messages", [str(exc)]):
                form.add_error(None, message)
        else:
            messages.success(request, done)
            return redirect("surveys:case_detail", pk=followup.pk)
    return _detail(request, followup, status=400, **{form_name: form})


@require_POST
@login_required
def case_assign(request, pk: int):
    followup = _case(request, pk)
    if followup_scope(request.user) is not None:
        raise PermissionDenied  # agents work their cases; managers hand them out
    return _form_action(
        request,
        followup,
        AssignForm,
        "assign_form",
        lambda data: followup_assign(followup=followup, owner=data["owner"]),
        _("Case assigned."),
    )


@require_POST
@login_required
def case_notes(request, pk: int):
    followup = _case(request, pk)
    return _form_action(
        request,
        followup,
        NotesForm,
        "notes_form",
        lambda data: followup_notes_set(followup=followup, notes=data["notes"]),
        _("Notes saved."),
    )


@require_POST
@login_required
def case_email(request, pk: int):
    followup = _case(request, pk)
    return _form_action(
        request,
        followup,
        EmailForm,
        "email_form",
        lambda data: followup_email_send(
            followup=followup, sender=request.user, subject=data["subject"], body=data["body"]
        ),
        _("Email sent to the customer."),
    )


@require_POST
@login_required
def case_close(request, pk: int):
    followup = _case(request, pk)
    return _form_action(
        request,
        followup,
        CloseForm,
        "close_form",
        lambda data: followup_close(followup=followup, outcome=data["outcome"], resurvey=data["resurvey"]),
        _("Case closed."),
    )


@require_POST
@login_required
def case_contact(request, pk: int):
    followup = _case(request, pk)
    if followup.status == FollowUpStatus.CLOSED:
        messages.error(request, _("This case is closed."))
        return _detail(request, followup, status=400)
    followup_contact_record(followup=followup)
    messages.success(request, _("Contact recorded."))
    return redirect("surveys:case_detail", pk=pk)


@require_POST
@login_required
def case_reopen(request, pk: int):
    followup = _case(request, pk)
    if followup.status != FollowUpStatus.CLOSED:
        messages.error(request, _("This case is not closed."))
        return _detail(request, followup, status=400)
    followup_reopen(followup=followup)
    messages.success(request, _("Case reopened."))
    return redirect("surveys:case_detail", pk=pk)
