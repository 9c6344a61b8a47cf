"""Who is involved in a ticket: customers, agents, their teams and the SLA they work to."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .choices import Language, Priority


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """A support agent. A ticket records its agent and team at closure time."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, help_text=_("The agent's id in the helpdesk.")
    )
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent",
        help_text=_("The login that may read this agent's own scores."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="agent_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """The person who raised a ticket and may be surveyed.

    Erasure (GDPR) clears every personal field but keeps the row, so the counts and scores
    that reference it stay correct.
    """

    email = models.EmailField(_("email"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    locale = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.EN)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    segment = models.CharField(_("segment"), max_length=50, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Granted to no role: a superuser gives it to whoever answers erasure requests.
        permissions = [("erase_customer", _("Can erase a customer's personal data"))]
        constraints = [
            # One customer per address, whatever its case; erased customers have no address.
            models.UniqueConstraint(Lower("email"), name="customer_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=True) | models.Q(email__isnull=True),
                name="customer_erased_has_no_email",
            ),
        ]
        indexes = [
            # Webhook and CSV import look customers up by the helpdesk's id.
            models.Index(fields=["external_id"], name="customer_external_id_idx"),
        ]

    def __str__(self) -> str:
        if self.erased_at:
            return f"erased customer #{self.pk}"
        return self.email or self.name or f"customer #{self.pk}"


class SLAPolicy(models.Model):
    """Service-level targets for one ticket priority. A target is met when time <= target."""

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, unique=True)
    first_response_target_s = models.PositiveIntegerField(
        _("first response target (seconds)"), help_text=_("e.g. 3600 for one hour")
    )
    resolution_target_s = models.PositiveIntegerField(
        _("resolution target (seconds)"), help_text=_("e.g. 86400 for one day")
    )

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(first_response_target_s__gt=0), name="sla_response_gt_0"),
            models.CheckConstraint(
                condition=models.Q(resolution_target_s__gte=models.F("first_response_target_s")),
                name="sla_resolution_gte_response",
            ),
        ]

    def __str__(self) -> str:
        return f"SLA {self.get_priority_display()}"
