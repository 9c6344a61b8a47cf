"""The organisation's brand on the customer's pages and emails: one row, set in the admin."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class LogoType(models.TextChoices):
    PNG = "image/png", "PNG"
    JPEG = "image/jpeg", "JPEG"


LOGO_EXTENSIONS = {LogoType.PNG: "png", LogoType.JPEG: "jpg"}


class Brand(models.Model):
    """The organisation's name, logo and primary colour. At most one row (``singleton`` is
    always true and unique). The logo's bytes live here (no media storage is set up); pages
    and emails link to it by its hash (surveys/views/brand.py), so a new logo is a new URL."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(
        _("organisation name"),
        max_length=100,
        blank=True,
        help_text=_("Shown at the top of the survey pages and in the emails; the logo's alternative text."),
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        blank=True,
        validators=[
            RegexValidator(r"^#[0-9a-f]{6}$", _("Enter a colour as # and six hex digits, e.g. #1d4ed8."))
        ],
        help_text=_("As #rrggbb. Darkened or lightened where needed so text keeps 4.5:1 and controls 3:1."),
    )
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_type = models.CharField(max_length=20, choices=LogoType.choices, blank=True, editable=False)
    logo_hash = models.CharField(max_length=16, blank=True, editable=False)
    logo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    logo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brand")
        constraints = [
            models.CheckConstraint(condition=models.Q(singleton=True), name="brand_single_row"),
            models.CheckConstraint(
                condition=models.Q(primary_colour="") | models.Q(primary_colour__regex=r"^#[0-9a-f]{6}$"),
                name="brand_colour_hex",
            ),
            # A logo comes with its type, hash and size; no logo, none of them.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        logo__isnull=True,
                        logo_type="",
                        logo_hash="",
                        logo_width__isnull=True,
                        logo_height__isnull=True,
                    )
                    | models.Q(
                        logo__isnull=False,
                        logo_type__in=LogoType.values,
                        logo_hash__regex=r"^[0-9a-f]{16}$",
                        logo_width__gt=0,
                        logo_height__gt=0,
                    )
                ),
                name="brand_logo_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(_("Brand"))
