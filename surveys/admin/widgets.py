"""Form fields and small helpers shared by the admin modules."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class CommaSeparatedListField(forms.CharField):
    """A JSON list of strings edited as "a, b, c". Blank means the empty list."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Comma-separated; empty = all."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        items = [item.strip() for item in text.split(",")]
        # Keep the order staff typed, without blanks or repeats.
        return list(dict.fromkeys(item for item in items if item))


def _lines_clean(value: str, *, validate, message, code: str, param: str) -> str:
    """Validate one item per line with ``validate``; return them stripped, one per line.

    Raises a ValidationError (``message``, whose ``%(<param>)s`` lists them) that names every
    bad line.
    """
    items = [line.strip() for line in value.splitlines() if line.strip()]
    bad = []
    for item in items:
        try:
            validate(item)
        except ValidationError:
            bad.append(item)
    if bad:
        raise ValidationError(message, code=code, params={param: ", ".join(bad)})
    return "\n".join(items)


def email_lines_clean(value: str) -> str:
    """Validate one email address per line; return them normalised, one per line.

    Raises a ValidationError that names every line that is not an address.
    """
    return _lines_clean(
        value,
        validate=validate_email,
        message=_("Not an email address: %(addresses)s. Put one address on each line."),
        code="invalid_email_lines",
        param="addresses",
    )


def url_lines_clean(value: str) -> str:
    """Validate one http(s) URL per line (incoming webhooks); return them one per line."""
    return _lines_clean(
        value,
        validate=URLValidator(schemes=["http", "https"]),
        message=_("Not an http(s) URL: %(urls)s. Put one URL on each line."),
        code="invalid_url_lines",
        param="urls",
    )


def duration_display(seconds: int | None) -> str:
    """A duration in words a person reads at a glance: "45 s", "3 min", "2 h 05 min", "3 d 4 h"."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return gettext("%(n)d s") % {"n": seconds}
    # Rounded to the nearest minute, half up, never cut (docs/metrics.md): 5,399 s is 1 h 30 min.
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return gettext("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return gettext("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod((seconds + 1800) // 3600, 24)  # to the nearest hour
    return ngettext("%(d)d day %(h)d h", "%(d)d days %(h)d h", days) % {"d": days, "h": hours}


def hours_display(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours = seconds / 3600
    return gettext("%(h)s h") % {"h": f"{hours:g}"}


class ViewOnlyMixin:
    """Staff may look, never add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Rows that come from customers or helpdesks.

    Writes go through the services that receive them (webhook, survey pages), so the admin
    cannot bypass their rules.
    """


class ReadOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
