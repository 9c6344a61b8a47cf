"""Questionnaire designer: questions inline, preview, clone as a new version, lock once answered."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ..designer_fields import (
    ChoicesTextField,
    ConditionValuesField,
    format_choice_lines,
    format_condition_values,
)
from ..forms import SurveyForm
from ..models import CHOICE_KINDS, SCALE_KINDS, SCALE_RANGES, Language, Question, QuestionKind, Questionnaire
from ..reports.admin_figures import distribution_rows
from ..selectors import questionnaire_is_locked, questionnaire_questions, questionnaires_with_stats
from ..services.questionnaires import questionnaire_clone
from ..translations import questionnaire_chinese_gaps

LOCKED_EXPLANATION = _(
    "This questionnaire has responses, so its questions are locked. Clone it as a new version to change them."
)


def is_locked(questionnaire: Questionnaire | None) -> bool:
    if questionnaire is None or questionnaire.pk is None:
        return False
    # The admin asks several permission hooks per request; the list annotation or one query
    # answers them all.
    if not hasattr(questionnaire, "is_locked"):
        questionnaire.is_locked = questionnaire_is_locked(questionnaire)
    return questionnaire.is_locked


class QuestionInlineForm(forms.ModelForm):
    """One question; rules that need only this question's own fields."""

    class Meta:
        model = Question
        fields = "__all__"  # noqa: DJ007 - the inline's fieldsets decide what is shown
        field_classes = {"choices": ChoicesTextField, "condition_values": ConditionValuesField}
        widgets = {
            "text": forms.TextInput(attrs={"size": 80}),
            "text_zh_hans": forms.TextInput(attrs={"size": 80}),
            "order": forms.NumberInput(attrs={"class": "question-order"}),
        }
        help_texts = {
            "choices": _("One choice per line: value | English label | 中文标签"),
            "condition_values": _("For example 0-6, or 0,1,2, or yes, or billing,other."),
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        choices = cleaned.get("choices") or []
        if kind in CHOICE_KINDS and len(choices) < 2:
            self.add_error("choices", _("A choice question needs at least two choices."))
        elif kind and kind not in CHOICE_KINDS and choices:
            self.add_error("choices", _("Only single and multiple choice questions have choices."))
        if cleaned.get("raises_complaint") and kind != QuestionKind.YES_NO:
            self.add_error("raises_complaint", _("Only a yes/no question can raise a complaint."))
        if cleaned.get("dimension") and kind and kind not in SCALE_KINDS:
            self.add_error("dimension", _("Only NPS, CSAT, CES and rating questions have a dimension."))
        condition_key = cleaned.get("condition_key")
        if condition_key and not cleaned.get("condition_values") and "condition_values" not in self.errors:
            self.add_error("condition_values", _("Say which answers show this question."))
        if cleaned.get("condition_values") and not condition_key:
            self.add_error("condition_key", _("Say which question these answers belong to."))
        if condition_key and condition_key == cleaned.get("key"):
            self.add_error("condition_key", _("A question cannot depend on itself."))
        return cleaned


def condition_values_error(controller: dict, values: list[str]) -> str | None:
    """Why ``values`` cannot be answers to the ``controller`` question, or None if they can."""
    kind = controller.get("kind")
    if kind == QuestionKind.YES_NO:
        allowed = {"yes", "no"}
    elif kind in SCALE_RANGES:
        low, high = SCALE_RANGES[kind]
        allowed = {str(n) for n in range(low, high + 1)}
    else:
        allowed = {choice["value"] for choice in controller.get("choices") or []}
    wrong = [value for value in values if value not in allowed]
    if not wrong:
        return None
    return _("“%(key)s” cannot be answered with %(values)s.") % {
        "key": controller.get("key"),
        "values": ", ".join(wrong),
    }


class QuestionInlineFormSet(forms.BaseInlineFormSet):
    """Rules across questions: unique keys, and conditions that point at an earlier question."""

    locked = False

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index >= self.initial_form_count():
            # A blank question starts after the existing ones, so it lands last by default.
            existing = [question.order for question in self.get_queryset()]
            start = max(existing, default=-1) + 1
            kwargs["initial"] = {"order": start + index - self.initial_form_count()}
        return kwargs

    def clean(self):
        if self.locked:
            return  # nothing posted for a locked questionnaire is saved, so nothing to check
        rows = []
        for index, form in enumerate(self.forms):
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            # Display order is (order, id); new rows get ids in the order they appear here.
            position = (form.cleaned_data.get("order") or 0, form.instance.pk or float("inf"), index)
            rows.append((position, form))
        by_key: dict[str, tuple] = {}
        for position, form in sorted(rows, key=lambda row: row[0]):
            key = form.cleaned_data.get("key")
            if key in by_key:
                form.add_error("key", _("Another question already uses the key “%(key)s”.") % {"key": key})
            elif key:
                by_key[key] = (position, form.cleaned_data)
        # After our key check, so a repeated key gets our message rather than Django's generic one.
        super().clean()
        for position, form in rows:
            self._check_condition(form, position, by_key)

    def _check_condition(self, form, position, by_key) -> None:
        condition_key = form.cleaned_data.get("condition_key")
        if not condition_key or condition_key == form.cleaned_data.get("key"):
            return
        if condition_key not in by_key:
            form.add_error(
                "condition_key",
                _("No question in this questionnaire has the key “%(key)s”.") % {"key": condition_key},
            )
            return
        controller_position, controller = by_key[condition_key]
        if controller_position >= position:
            form.add_error(
                "condition_key",
                _("“%(key)s” must come before this question (lower order).") % {"key": condition_key},
            )
        elif controller.get("kind") == QuestionKind.TEXT:
            form.add_error("condition_key", _("A free-text answer cannot decide whether a question shows."))
        else:
            problem = condition_values_error(controller, form.cleaned_data.get("condition_values") or [])
            if problem:
                form.add_error("condition_values", problem)


QUESTION_FIELDSETS = (
    (None, {"fields": (("order", "key", "kind", "required"), "text", "text_zh_hans")}),
    (_("Help text"), {"fields": (("help_text", "help_text_zh_hans"),)}),
    (_("Choices"), {"fields": ("choices",)}),
    (
        _("Reporting and display condition"),
        {"fields": ("dimension", ("condition_key", "condition_values"), "raises_complaint")},
    ),
)


def _locked_fieldsets():
    """Same layout, with choices and conditions shown in the text form designers type."""
    swap = {"choices": "choices_text", "condition_values": "condition_text"}
    result = []
    for name, options in QUESTION_FIELDSETS:
        fields = [
            tuple(swap.get(f, f) for f in line) if isinstance(line, tuple) else swap.get(line, line)
            for line in options["fields"]
        ]
        result.append((name, {**options, "fields": fields}))
    return tuple(result)


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionInlineForm
    formset = QuestionInlineFormSet
    fieldsets = QUESTION_FIELDSETS
    extra = 1

    class Media:
        js = ("surveys/admin_questions.js",)

    def get_fieldsets(self, request, obj=None):
        return _locked_fieldsets() if is_locked(obj) else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if is_locked(obj):
            return flatten_fieldsets(_locked_fieldsets())
        return super().get_readonly_fields(request, obj)

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if is_locked(obj) else super().get_extra(request, obj, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.locked = is_locked(obj)
        return formset

    def has_add_permission(self, request, obj=None):
        return not is_locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not is_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_locked(obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("choices"))
    def choices_text(self, question):
        return format_choice_lines(question.choices) or "—"

    @admin.display(description=_("has one of the answers"))
    def condition_text(self, question):
        return format_condition_values(question.condition_values) or "—"


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    change_form_template = "admin/surveys/questionnaire/change_form.html"
    inlines = [QuestionInline]
    list_display = ("title", "version", "question_count", "locked")
    search_fields = ("title", "title_zh_hans")
    readonly_fields = ("version", "cloned_from")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "title_zh_hans",
                    "intro",
                    "intro_zh_hans",
                    "thank_you",
                    "thank_you_zh_hans",
                )
            },
        ),
        (_("Version"), {"fields": ("version", "cloned_from")}),
    )
    actions = ["clone_selected"]

    class Media:
        css = {"all": ("surveys/admin.css",)}

    def get_queryset(self, request):
        return questionnaires_with_stats(super().get_queryset(request))

    # --- Reports (issue 5): what respondents answered, per question -----------------------
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.pk is None:
            return fieldsets
        return (*fieldsets, (_("Answers"), {"fields": ("answer_distributions",)}))

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "answer_distributions")

    @admin.display(description=_("answer distribution per question"))
    def answer_distributions(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return render_to_string(
            "reports/admin_distributions.html",
            {"rows": distribution_rows(obj)},
        )

    @admin.display(description=_("questions"), ordering="question_count")
    def question_count(self, questionnaire):
        return questionnaire.question_count

    @admin.display(description=_("locked"), boolean=True, ordering="is_locked")
    def locked(self, questionnaire):
        return questionnaire.is_locked

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{name}_preview",
            ),
            path(
                "<path:object_id>/clone/", self.admin_site.admin_view(self.clone_view), name=f"{name}_clone"
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            is_locked=is_locked(obj),
            locked_explanation=LOCKED_EXPLANATION,
            preview_languages=Language.choices,
            chinese_gaps=questionnaire_chinese_gaps(obj, questionnaire_questions(obj)) if obj else None,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _get_or_404(self, request, object_id) -> Questionnaire:
        questionnaire = self.get_object(request, unquote(object_id))
        if questionnaire is None:
            raise Http404(_("No such questionnaire."))
        return questionnaire

    def preview_view(self, request, object_id):
        """The customer's page for this questionnaire; posting validates and records nothing."""
        questionnaire = self._get_or_404(request, object_id)
        if not self.has_view_permission(request, questionnaire):
            raise PermissionDenied
        language = request.GET.get("lang")
        if language not in Language.values:
            language = Language.EN
        questions = questionnaire_questions(questionnaire)
        # For the designer, in the admin's language whatever the preview's.
        chinese_gaps = questionnaire_chinese_gaps(questionnaire, questions)
        # Rendered now, inside the override, so the page and its error messages follow ?lang=.
        with translation.override(language):
            data = request.POST if request.method == "POST" else None
            form = SurveyForm(data, questionnaire=questionnaire, language=language, questions=questions)
            context = {
                "chinese_gaps": chinese_gaps,
                "questionnaire": questionnaire,
                "form": form,
                "language": language,
                "preview": True,
                "preview_valid": data is not None and form.is_valid(),
                "preview_languages": Language.choices,
                "change_url": self._change_url(questionnaire),
            }
            return render(request, "surveys/survey.html", context)

    def _cloned(self, request, clone: Questionnaire) -> None:
        self.log_addition(request, clone, [{"added": {}}])
        self.message_user(
            request,
            _("Created version %(version)s of “%(title)s”. Its questions can be edited.")
            % {"version": clone.version, "title": clone.title},
            messages.SUCCESS,
        )

    def _change_url(self, questionnaire: Questionnaire) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[questionnaire.pk])

    def clone_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        questionnaire = self._get_or_404(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        clone = questionnaire_clone(questionnaire=questionnaire)
        self._cloned(request, clone)
        return HttpResponseRedirect(self._change_url(clone))

    @admin.action(description=_("Clone as new version"), permissions=["add"])
    def clone_selected(self, request, queryset):
        clones = [questionnaire_clone(questionnaire=questionnaire) for questionnaire in queryset]
        for clone in clones:
            self._cloned(request, clone)
        if len(clones) == 1:
            return HttpResponseRedirect(self._change_url(clones[0]))
        return None
