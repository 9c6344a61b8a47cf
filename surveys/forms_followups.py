"""Forms of the follow-up case pages (docs/follow-ups.md)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FollowUpOutcome
from .selectors_followups import case_owner_choices

NOTES_MAX = 5000
EMAIL_BODY_MAX = 10000


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Owner"), empty_label=_("— nobody —")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = case_owner_choices()


class NotesForm(forms.Form):
    notes = forms.CharField(
        required=False, max_length=NOTES_MAX, label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4})
    )


class EmailForm(forms.Form):
    subject = forms.CharField(max_length=200, label=_("Subject"))
    body = forms.CharField(
        max_length=EMAIL_BODY_MAX, label=_("Text"), widget=forms.Textarea(attrs={"rows": 8})
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "")] + list(FollowUpOutcome.choices), label=_("Outcome"))
    resurvey = forms.BooleanField(
        required=False,
        label=_("Send the survey again"),
        help_text=_("The customer gets the same survey once more; its score is compared with the first one."),
    )
