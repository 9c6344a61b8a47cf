"""Campaign admin: every setting grouped by purpose, template checks, an email preview,
invitation counts, "send me a test" and resending failed invitations."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..emails import email_template_validate, invitation_email_render_sample
from ..models import Campaign, Invitation, InvitationStatus, Language, Priority, SuppressionReason
from ..reports.admin_figures import campaign_detail_html, campaign_figure_display, campaigns_with_figures
from ..selectors import campaigns_overlapping, campaigns_with_invitation_counts, questionnaire_questions
from ..services.invitations import campaign_precedence
from ..services.sending_sweeps import campaign_send_test, invitations_resend
from ..tasks.sending import invitation_send_enqueue
from ..transient import PermanentSendError, TransientSendError
from ..translations import campaign_chinese_gaps
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
        "nps_30d",
        "csat_30d",
        "complaint_rate_30d",
        "response_rate_30d",
    )
    list_filter = ("is_active",)
    list_select_related = ("questionnaire",)
    search_fields = ("name",)
    fieldsets = (
        (
            _("Questionnaire & schedule"),
            {
                "fields": (
                    "name",
                    "questionnaire",
                    "is_active",
                    "priority",
                    "trigger",
                    "starts_at",
                    "ends_at",
                    "delay_minutes",
                )
            },
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

    actions = ("resend_failed",)

    def get_queryset(self, request):
        # Invitation counts and the 30-day figures come from one annotated query for the page.
        return campaigns_with_figures(campaigns_with_invitation_counts(super().get_queryset(request)))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return (
            *fieldsets,
            (_("Invitations"), {"fields": ("invitation_summary",)}),
            (_("Figures, last 90 days"), {"fields": ("report_figures",)}),
        )

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "invitation_summary", "report_figures")

    @admin.display(description=_("NPS, 30 days by answer date"))
    def nps_30d(self, obj):
        return campaign_figure_display(obj, "nps")

    @admin.display(description=_("CSAT, 30 days by answer date"))
    def csat_30d(self, obj):
        return campaign_figure_display(obj, "csat")

    @admin.display(description=_("Complaint rate, 30 days by ticket closure"))
    def complaint_rate_30d(self, obj):
        return campaign_figure_display(obj, "complaint_rate")

    @admin.display(description=_("Response rate, 30 days by send date"))
    def response_rate_30d(self, obj):
        return campaign_figure_display(obj, "response_rate")

    @admin.display(description=_("figures and weekly trend"))
    def report_figures(self, obj):
        return campaign_detail_html(obj)

    @admin.display(description=_("invitations by status and suppression reason"))
    def invitation_summary(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        invitations = Invitation.objects.filter(campaign=obj).order_by()
        by_status = dict(invitations.values_list("status").annotate(n=Count("pk")))
        by_reason = dict(
            invitations.filter(status=InvitationStatus.SUPPRESSED)
            .values_list("suppression_reason")
            .annotate(n=Count("pk"))
        )
        rows = [(label, by_status.get(value, 0)) for value, label in InvitationStatus.choices]
        rows += [
            (gettext("suppressed: %(reason)s") % {"reason": label}, by_reason[value])
            for value, label in SuppressionReason.choices
            if by_reason.get(value)
        ]
        body = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows)
        return format_html('<table class="invitation-summary">{}</table>', body)

    @admin.action(description=_("Resend failed invitations"), permissions=["change"])
    def resend_failed(self, request, queryset):
        ids = Invitation.objects.filter(campaign__in=queryset, status=InvitationStatus.FAILED).values_list(
            "pk", flat=True
        )
        resend_failed(self, request, list(ids))

    @admin.display(description=_("invitations"))
    def invitation_counts(self, obj):
        counts = [
            f"{label}: {getattr(obj, f'invitations_{value}', 0)}"
            for value, label in InvitationStatus.choices
            if getattr(obj, f"invitations_{value}", 0)
        ]
        return ", ".join(counts) or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        note = overlap_note(obj)
        if note:
            self.message_user(request, note, messages.WARNING)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "overlap_note": overlap_note(campaign) if campaign else "",
            "chinese_gaps": (
                campaign_chinese_gaps(campaign, questionnaire_questions(campaign.questionnaire))
                if campaign
                else None
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/email-preview/",
                self.admin_site.admin_view(self.email_preview_view),
                name="surveys_campaign_email_preview",
            ),
            path(
                "<path:object_id>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="surveys_campaign_send_test",
            ),
        ]
        return urls + super().get_urls()

    # The email's own inline styles: a srcdoc frame inherits this page's policy, so this one page
    # allows inline styles (scripts stay refused, and the frame is sandboxed).
    @method_decorator(csp_update({"style-src": [UNSAFE_INLINE]}))
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

    @method_decorator(require_POST)
    def send_test_view(self, request, object_id):
        """Email the signed-in designer the campaign's email for a sample ticket; saves nothing."""
        campaign = get_object_or_404(Campaign.objects.select_related("questionnaire"), pk=object_id)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        change_url = reverse("admin:surveys_campaign_change", args=[campaign.pk])
        if not request.user.email:
            messages.error(request, gettext("Your account has no email address; add one to receive a test."))
            return redirect(change_url)
        language = (
            translation.get_language() if translation.get_language() in Language.values else Language.EN
        )
        try:
            campaign_send_test(campaign=campaign, email=request.user.email, language=language)
        except (TransientSendError, PermanentSendError) as error:
            messages.error(request, gettext("The test email could not be sent: %(error)s") % {"error": error})
        else:
            messages.success(
                request, gettext("A test email was sent to %(email)s.") % {"email": request.user.email}
            )
        return redirect(change_url)


def overlap_note(campaign: Campaign) -> str:
    """The warning for a campaign that can match the same tickets as other active campaigns
    (HTML, links to them), or "" when none overlaps."""
    overlapping = campaigns_overlapping(campaign)
    if not overlapping:
        return ""
    links = format_html_join(
        ", ",
        '<a href="{}">{}</a> ({})',
        (
            (
                reverse("admin:surveys_campaign_change", args=[other.pk]),
                other.name,
                gettext("priority %(priority)s") % {"priority": other.priority},
            )
            for other in overlapping
        ),
    )
    winner = min([campaign, *overlapping], key=campaign_precedence)
    return format_html(
        "{} {} {}",
        gettext("This campaign can survey the same tickets as other active campaigns:"),
        links,
        gettext(
            "— a ticket they all match is surveyed once, by the campaign with the lowest priority "
            "number (“%(winner)s” among these); the others record “another campaign”."
        )
        % {"winner": winner.name},
    )


def resend_failed(model_admin, request, ids: list[int]) -> None:
    """Shared by the campaign and invitation actions: back to scheduled, enqueued on commit."""
    with transaction.atomic():
        resent = invitations_resend(invitation_ids=ids)
        for invitation_id in resent:
            invitation_send_enqueue(invitation_id)
    if resent:
        message = ngettext(
            "%(n)d failed invitation will be sent again.",
            "%(n)d failed invitations will be sent again.",
            len(resent),
        )
        model_admin.message_user(request, message % {"n": len(resent)}, messages.SUCCESS)
    else:
        model_admin.message_user(
            request, gettext("There were no failed invitations to resend."), messages.WARNING
        )
