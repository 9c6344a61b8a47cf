"""What customers answered, and the follow-up cases opened for unhappy ones."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Language
from .invitations import Invitation
from .questionnaires import CHOICE_KINDS, SCALE_RANGES, Question, QuestionKind
from .tickets import Ticket

TEXT_ANSWER_MAX = 5000


class ImportSource(models.TextChoices):
    """Where an imported response came from (``manage.py import_delighted``)."""

    DELIGHTED = "delighted", "Delighted"


class Response(models.Model):
    """One per invitation (database-unique).

    ``started_at`` is when the first score was recorded (one click or a full submit) and puts
    the response in a reporting period; ``is_complete`` is false while only the one-click
    score is in. The three headline scores are copied here so aggregates read one table.
    """

    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    started_at = models.DateTimeField(_("first recorded at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    is_complete = models.BooleanField(_("complete"), default=False)
    is_complaint = models.BooleanField(_("complaint"), default=False)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.EN)
    nps_score = models.PositiveSmallIntegerField(_("NPS score"), null=True, blank=True)
    csat_score = models.PositiveSmallIntegerField(_("CSAT score"), null=True, blank=True)
    ces_score = models.PositiveSmallIntegerField(_("CES score"), null=True, blank=True)
    # The claim of the alert for a detractor or complaint that only one-clicked (set just before
    # its emails go out, cleared again when they could not); full submissions use alerted_at.
    one_click_alerted_at = models.DateTimeField(_("one-click alert sent at"), null=True, blank=True)
    # The claim of the detractor / complaint alert (surveys/services/notifications.py): set
    # just before the email goes out, cleared again when it could not; null = not alerted.
    alerted_at = models.DateTimeField(_("alert sent at"), null=True, blank=True)
    # Set on responses brought in from another survey service, with the id they had there, so
    # they are told apart from answers given here and a second import adds nothing.
    imported_from = models.CharField(
        _("imported from"), max_length=20, choices=ImportSource.choices, blank=True
    )
    imported_id = models.CharField(_("id at the source"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        permissions = [
            ("view_reports", _("Can view all reports")),
            ("view_own_reports", _("Can view own reports (agents)")),
            ("export_data", _("Can export responses and tickets")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(nps_score__lte=10), name="response_nps_0_10"),
            models.CheckConstraint(condition=models.Q(csat_score__range=(1, 5)), name="response_csat_1_5"),
            models.CheckConstraint(condition=models.Q(ces_score__range=(1, 7)), name="response_ces_1_7"),
            models.CheckConstraint(
                condition=models.Q(is_complete=False, submitted_at__isnull=True)
                | models.Q(is_complete=True, submitted_at__isnull=False),
                name="response_complete_has_submitted_at",
            ),
            models.UniqueConstraint(
                fields=["imported_from", "imported_id"],
                condition=~models.Q(imported_from=""),
                name="response_imported_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(imported_from="", imported_id="")
                | (models.Q(imported_from__in=ImportSource.values) & ~models.Q(imported_id="")),
                name="response_imported_has_id",
            ),
        ]
        indexes = [
            # Survey metrics by period: NPS / CSAT / CES filter on the first-recorded time.
            models.Index(fields=["started_at"], name="response_started_idx"),
            # The one-click alert sweep (services/notifications.py): partial responses not alerted yet.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(is_complete=False, one_click_alerted_at__isnull=True),
                name="response_click_alert_idx",
            ),
            # The alert sweep (responses_alert_due_ids): flagged answers not alerted yet.
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(is_complete=True, alerted_at__isnull=True)
                & (models.Q(is_complaint=True) | models.Q(nps_score__lte=6)),
                name="response_alert_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"response to {self.invitation_id}"


# A comment: a free-text answer that holds some text (the reports' verbatims, the privacy
# blanking, a customer's record). One condition, so the partial index below serves each query.
COMMENT = models.Q(kind=QuestionKind.TEXT) & ~models.Q(text="")


def _answer_value_rule() -> models.Q:
    """A scale answer has a number in its kind's range; other kinds have no number."""
    rule = models.Q(kind__in=[*CHOICE_KINDS, QuestionKind.TEXT], number__isnull=True)
    for kind, (low, high) in SCALE_RANGES.items():
        rule |= models.Q(kind=kind, number__isnull=False, number__gte=low, number__lte=high)
    return rule


class Answer(models.Model):
    """One answer. ``kind`` is copied from the question so the database can check ranges."""

    # No index of their own: the (response, question) and (question, number) ones below lead
    # with them (docs/design.md, "Indexes").
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers", db_index=False)
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    number = models.SmallIntegerField(_("score"), null=True, blank=True)
    choices = models.JSONField(_("chosen"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_response_question_unique"),
            models.CheckConstraint(condition=_answer_value_rule(), name="answer_value_fits_kind"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), TEXT_ANSWER_MAX), name="answer_text_length"
            ),
        ]
        indexes = [
            # Per-question answer distributions (questionnaire admin, drivers).
            models.Index(fields=["question", "number"], name="answer_question_number_idx"),
            # The comments of a response: the verbatims walk the newest responses and look
            # each up here (a quarter of the answers or fewer, so the index stays small).
            models.Index(fields=["response"], condition=COMMENT, name="answer_comment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}={self.number if self.number is not None else self.choices or self.text}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class FollowUpReason(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor")
    COMPLAINT = "complaint", _("Complaint")


class FollowUpOutcome(models.TextChoices):
    """How a closed case ended (docs/follow-ups.md)."""

    RECOVERED = "recovered", _("Recovered: the customer is satisfied now")
    RESOLVED = "resolved", _("Problem solved, customer not won back")
    NOT_REACHED = "not_reached", _("Customer not reached")
    DECLINED = "declined", _("Customer declined to talk")
    NO_ACTION = "no_action", _("No action needed")
    # Cases closed before outcomes were recorded (set by the migration that added them).
    OTHER = "other", _("Other / not recorded")


class FollowUp(models.Model):
    """A case to close the loop with an unhappy customer (docs/follow-ups.md).

    ``due_at`` is fixed when the case opens (``FOLLOWUP_DUE_HOURS``); ``first_contact_at`` is
    the first email sent from the case or the first contact recorded by hand; a closed case
    always has an ``outcome`` and an open one never.
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="followup")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="followups")
    reason = models.CharField(_("reason"), max_length=12, choices=FollowUpReason.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="followups"
    )
    notes = models.TextField(_("notes"), blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=FollowUpOutcome.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=FollowUpStatus.values), name="followup_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=FollowUpStatus.CLOSED, closed_at__isnull=False)
                | (~models.Q(status=FollowUpStatus.CLOSED) & models.Q(closed_at__isnull=True)),
                name="followup_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=models.Q(status=FollowUpStatus.CLOSED, outcome__in=FollowUpOutcome.values)
                | (~models.Q(status=FollowUpStatus.CLOSED) & models.Q(outcome="")),
                name="followup_closed_has_outcome",
                violation_error_message=_("A closed case needs an outcome, and an open one has none."),
            ),
        ]
        indexes = [
            # Managers' open cases list.
            models.Index(fields=["status", "created_at"], name="followup_status_idx"),
            # The overdue list and figure: open cases past their due time.
            models.Index(
                fields=["due_at"], condition=~models.Q(status=FollowUpStatus.CLOSED), name="followup_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} follow-up for {self.ticket}"
