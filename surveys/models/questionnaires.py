"""Questionnaires and their questions, with a translation per language."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Language


class Translated:
    """Fields that have a ``<name>_zh_hans`` twin; English is the fallback for a blank one."""

    def tr(self, field: str, language: str) -> str:
        if language == Language.ZH_HANS:
            value = getattr(self, f"{field}_zh_hans", "")
            if value:
                return value
        return getattr(self, field)


class Questionnaire(Translated, models.Model):
    """A set of questions. Once answered its questions are frozen; changes need a new version."""

    title = models.CharField(_("title"), max_length=200)
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    intro = models.TextField(_("introduction"), blank=True)
    intro_zh_hans = models.TextField(_("introduction (Chinese)"), blank=True)
    thank_you = models.TextField(_("thank-you text"), blank=True)
    thank_you_zh_hans = models.TextField(_("thank-you text (Chinese)"), blank=True)
    lineage = models.UUIDField(
        default=uuid.uuid4, editable=False, help_text=_("Shared by every version of one questionnaire.")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    cloned_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="clones"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "-version"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(
                fields=["lineage", "version"], name="questionnaire_lineage_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="questionnaire_version_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class QuestionKind(models.TextChoices):
    NPS = "nps", _("NPS (0–10)")
    CSAT = "csat", _("CSAT (1–5)")
    CES = "ces", _("Customer effort (1–7)")
    RATING = "rating", _("Star rating (1–5)")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    YES_NO = "yes_no", _("Yes / no")
    TEXT = "text", _("Free text")


# The numeric range each kind accepts; yes/no is stored as 1 (yes) or 0 (no).
SCALE_RANGES: dict[str, tuple[int, int]] = {
    QuestionKind.NPS: (0, 10),
    QuestionKind.CSAT: (1, 5),
    QuestionKind.CES: (1, 7),
    QuestionKind.RATING: (1, 5),
    QuestionKind.YES_NO: (0, 1),
}
SCALE_KINDS = [QuestionKind.NPS, QuestionKind.CSAT, QuestionKind.CES, QuestionKind.RATING]
CHOICE_KINDS = [QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE]


class Dimension(models.TextChoices):
    """Service-quality dimensions from the source document (docs/metrics.md)."""

    QUALITY = "quality", _("Quality")
    ATTITUDE = "attitude", _("Attitude")
    TIMELINESS = "timeliness", _("Timeliness")
    EFFECTIVENESS = "effectiveness", _("Effectiveness")
    OVERALL = "overall", _("Overall")


class Question(Translated, models.Model):
    """One question. ``choices`` is a list of ``{"value", "en", "zh-hans"}`` for choice kinds.

    A display condition shows the question only when the answer to the earlier question
    ``condition_key`` is one of ``condition_values`` (strings: "0".."10", a choice value,
    "yes"/"no"). A hidden question is neither required nor stored.
    """

    # No index of its own: question_key_unique leads with it (docs/design.md, "Indexes").
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions", db_index=False
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Short name used in exports and display conditions, e.g. nps or comment."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    text = models.CharField(_("text"), max_length=500)
    text_zh_hans = models.CharField(_("text (Chinese)"), max_length=500, blank=True)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    help_text_zh_hans = models.CharField(_("help text (Chinese)"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices, blank=True)
    condition_key = models.SlugField(
        _("show only when question"), max_length=50, blank=True, help_text=_("Key of an earlier question.")
    )
    condition_values = models.JSONField(_("has one of the answers"), default=list, blank=True)
    raises_complaint = models.BooleanField(
        _("a yes raises a complaint"),
        default=False,
        help_text=_("For a yes/no question such as “I want to make a complaint”."),
    )

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="question_key_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=QuestionKind.values), name="question_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(raises_complaint=False) | models.Q(kind=QuestionKind.YES_NO),
                name="question_complaint_only_yes_no",
            ),
            models.CheckConstraint(
                condition=models.Q(dimension="") | models.Q(kind__in=SCALE_KINDS),
                name="question_dimension_only_scales",
            ),
            models.CheckConstraint(
                condition=~models.Q(condition_key=models.F("key")), name="question_condition_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._touch_questionnaire()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._touch_questionnaire()
        return result

    def _touch_questionnaire(self) -> None:
        # A questionnaire's updated_at says when it or any of its questions last changed.
        Questionnaire.objects.filter(pk=self.questionnaire_id).update(updated_at=timezone.now())

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALE_RANGES.get(self.kind)

    def choice_label(self, value: str, language: str) -> str:
        for choice in self.choices:
            if choice.get("value") == value:
                return choice.get(language) or choice.get("en") or value
        return value
