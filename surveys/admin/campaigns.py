"""Campaign admin: every setting grouped by purpose, template checks, and an email preview."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from ..emails import email_template_validate, invitation_email_render_sample
from ..models import Campaign, InvitationStatus, Language, Priority
from ..selectors import campaigns_with_invitation_counts
from .widgets import CommaSeparatedListField, email_lines_clean

TEMPLATE_FIELDS = ("email_subject", "email_subject_zh_hans", "email_body", "email_body_zh_hans")


class CampaignForm(forms.ModelForm):
    filter_categories = CommaSeparatedListField(label=_("categories"))
    filter_priorities = forms.MultipleChoiceField(
        label=_("priorities"),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked = all."),
    )
    filter_channels = CommaSeparatedListField(label=_("channels"))
    filter_segments = CommaSeparatedListField(label=_("customer segments"))

    class Meta:
        model = Campaign
        fields = "__all__"  # noqa: DJ007 - the fieldsets below decide what is shown
        widgets = {
            "alert_recipients": forms.Textarea(attrs={"rows": 3}),
            "email_body": forms.Textarea(attrs={"rows": 5}),
            "email_body_zh_hans": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_alert_recipients(self):
        return email_lines_clean(self.cleaned_data.get("alert_recipients", ""))

    def clean(self):
        cleaned = super().clean()
        for name in TEMPLATE_FIELDS:
            source = cleaned.get(name)
            if not source:
                continue
            try:
                email_template_validate(source)
            except forms.ValidationError as error:
                self.add_error(name, error)
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    change_form_template = "admin/surveys/campaign/change_form.html"
    list_display = (
        "name",
        "questionnaire",
        "is_active",
        "delay_minutes",
        "sample_rate",
        "throttle_days",
        "invitation_counts",
    )
    list_filter = ("is_active",)
    list_select_related = ("questionnaire",)
    search_fields = ("name",)
    fieldsets = (
        (
            _("Questionnaire & schedule"),
            {"fields": ("name", "questionnaire", "is_active", "trigger", "starts_at", "ends_at", "delay_minutes")},
        ),
        (
            _("Filters"),
            {
                "description": _("Only tickets matching every non-empty filter get a survey."),
                "fields": ("filter_categories", "filter_priorities", "filter_channels", "filter_segments"),
            },
        ),
        (
            _("Sending rules"),
            {
                "fields": (
                    "sample_rate",
                    "throttle_days",
                    "daily_cap",
                    "reminder_after_hours",
                    "max_reminders",
                    "link_expiry_days",
                )
            },
        ),
        (
            _("Email"),
            {
                "description": _(
                    "Subject and text may use {{ customer_name }}, {{ ticket_subject }} and {{ ticket_id }}. "
                    "The Chinese versions are used for customers whose language is Chinese; "
                    "when blank, the English ones are."
                ),
                "fields": (
                    "email_subject",
                    "email_subject_zh_hans",
                    "email_body",
                    "email_body_zh_hans",
                    "sender_name",
                    "sender_email",
                ),
            },
        ),
        (
            _("Complaints & alerts"),
            {"fields": ("low_csat_is_complaint", "create_followups", "alert_recipients")},
        ),
    )

    def get_queryset(self, request):
        return campaigns_with_invitation_counts(super().get_queryset(request))

    @admin.display(description=_("invitations"))
    def invitation_counts(self, obj):
        counts = [
            f"{label}: {getattr(obj, f'invitations_{value}', 0)}"
            for value, label in InvitationStatus.choices
            if getattr(obj, f"invitations_{value}", 0)
        ]
        return ", ".join(counts) or "—"

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/email-preview/",
                self.admin_site.admin_view(self.email_preview_view),
                name="surveys_campaign_email_preview",
            ),
        ]
        return urls + super().get_urls()

    def email_preview_view(self, request, object_id):
        """The campaign's email for a sample ticket, in the language asked for; saves nothing."""
        campaign = get_object_or_404(Campaign.objects.select_related("questionnaire"), pk=object_id)
        if not self.has_view_or_change_permission(request, campaign):
            raise PermissionDenied
        language = request.GET.get("lang", Language.EN)
        if language not in Language.values:
            language = Language.EN
        rendered = invitation_email_render_sample(campaign=campaign, language=language)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": campaign,
            "title": _("Email preview: %(name)s") % {"name": campaign.name},
            "rendered": rendered,
            "language": language,
            "languages": [
                {"code": code, "label": label, "url": f"?lang={code}", "current": code == language}
                for code, label in Language.choices
            ],
            "change_url": reverse("admin:surveys_campaign_change", args=[campaign.pk]),
        }
        return TemplateResponse(request, "admin/surveys/campaign/email_preview.html", context)
