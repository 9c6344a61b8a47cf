"""One-click scores as they arrive, with what tells a person from a mail scanner.

Every one-click save is stored here first, with its evidence. It stays provisional for
``SCANNER_WINDOW_SECONDS``; a later click of the same email can still show it was part of a
scanner's sweep. Only when the window has passed does a click that was not set aside become
(or change) the invitation's partial Response, the row every figure is computed from, so a
provisional or set-aside click can never reach a figure (docs/scanner-clicks.md).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Language
from .invitations import Invitation
from .questionnaires import Question

USER_AGENT_MAX = 400


class ClickSource(models.TextChoices):
    # The page's script saving the ?score= of the link the email was opened with.
    LINK = "link", _("Score link in the email")
    # A score chosen on the page itself (a change of mind, or the no-JavaScript button).
    PAGE = "page", _("Chosen on the page")


class ClickVerdict(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional")
    # Not set aside: the response holds the latest such score of the email.
    COUNTED = "counted", _("Counted")
    SET_ASIDE = "set_aside", _("Set aside")
    # The survey was withdrawn (ticket reopened) before the window passed.
    CLOSED = "closed", _("Survey closed first")


class ClickReason(models.TextChoices):
    """Why a click was set aside, strongest evidence first (REASON_STRENGTH)."""

    SIGNATURE = "signature", _("Known scanner user agent")
    FULL_SWEEP = "full_sweep", _("Every score link of the email opened")
    DIFFERENT_SCORES = "different_scores", _("Different scores of one email within seconds")
    TOO_SOON = "too_soon", _("Opened seconds after the email was sent")


# When several rules fire, a click keeps the strongest reason.
REASON_STRENGTH = {
    ClickReason.SIGNATURE: 4,
    ClickReason.FULL_SWEEP: 3,
    ClickReason.DIFFERENT_SCORES: 2,
    ClickReason.TOO_SOON: 1,
}


class ScoreClick(models.Model):
    """One one-click save of a score, and the evidence it was judged on."""

    # No index of its own: scoreclick_invitation_idx leads with it (docs/design.md, "Indexes").
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="score_clicks", db_index=False)
    # A questionnaire is edited in place until its first response; a question deleted then
    # takes its uncounted clicks with it rather than blocking the designer.
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.EN)
    source = models.CharField(_("source"), max_length=8, choices=ClickSource.choices)
    clicked_at = models.DateTimeField(_("clicked at"))
    # Evidence: from the email's latest send (a reminder included); null if never sent.
    seconds_since_sent = models.IntegerField(_("seconds since the email was sent"), null=True, blank=True)
    # Evidence: other score-link clicks of the same email in the SCANNER_SWEEP_SECONDS before.
    nearby_clicks = models.PositiveSmallIntegerField(_("other score links opened just before"), default=0)
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_MAX, blank=True)
    # The client's network, never its address: /24 for IPv4, /48 for IPv6.
    network = models.CharField(_("client network"), max_length=50, blank=True)
    verdict = models.CharField(
        _("verdict"), max_length=12, choices=ClickVerdict.choices, default=ClickVerdict.PROVISIONAL
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ClickReason.choices, blank=True)
    provisional_until = models.DateTimeField(_("provisional until"))

    class Meta:
        ordering = ["-clicked_at", "-pk"]
        verbose_name = _("score click")
        verbose_name_plural = _("score clicks")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__lte=10), name="scoreclick_score_0_10"),
            models.CheckConstraint(
                condition=models.Q(verdict__in=ClickVerdict.values), name="scoreclick_verdict_valid"
            ),
            models.CheckConstraint(condition=models.Q(source__in=ClickSource.values), name="scoreclick_source_valid"),
            # A set-aside click always says why; no other verdict carries a reason.
            models.CheckConstraint(
                condition=models.Q(verdict=ClickVerdict.SET_ASIDE, reason__in=ClickReason.values)
                | (~models.Q(verdict=ClickVerdict.SET_ASIDE) & models.Q(reason="")),
                name="scoreclick_set_aside_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(provisional_until__gte=models.F("clicked_at")),
                name="scoreclick_window_after_click",
            ),
        ]
        indexes = [
            # The rules look back over one email's recent clicks.
            models.Index(fields=["invitation", "clicked_at"], name="scoreclick_invitation_idx"),
            # The settle sweep (beat): provisional clicks whose window has passed.
            models.Index(
                fields=["provisional_until"],
                condition=models.Q(verdict=ClickVerdict.PROVISIONAL),
                name="scoreclick_due_idx",
            ),
            # "n set aside as likely scanner clicks" by period (dashboard, summary API).
            models.Index(
                fields=["clicked_at"],
                condition=models.Q(verdict=ClickVerdict.SET_ASIDE),
                name="scoreclick_set_aside_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"score {self.score} for {self.invitation_id} ({self.get_verdict_display()})"
