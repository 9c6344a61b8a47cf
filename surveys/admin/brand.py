"""The brand's one row in the admin: name, primary colour (with the contrast it gets, live)
and logo (PNG or JPEG, checked by its bytes)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..brand_colours import check, palette
from ..brand_logo import MAX_BYTES, LogoError, inspect, too_big
from ..models import Brand
from ..selectors_brand import logo_path
from ..services.brand import KEEP, brand_update


class BrandForm(forms.ModelForm):
    logo_upload = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_(
            "PNG or JPEG, at most %(kb)d KB and 2000 pixels a side. Its alternative text is the name."
        )
        % {"kb": MAX_BYTES // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Brand
        fields = ["name", "primary_colour"]
        widgets = {
            "primary_colour": forms.TextInput(attrs={"placeholder": "#1d4ed8", "data-brand-colour": ""})
        }

    def clean_primary_colour(self) -> str:
        return self.cleaned_data["primary_colour"].strip().lower()

    def clean_logo_upload(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(too_big(upload.size), code="logo")
        data = upload.read()
        try:
            inspect(data)
        except LogoError as exc:
            raise forms.ValidationError(str(exc), code="logo") from exc
        return data

    def clean(self):
        cleaned = super().clean()
        has_logo = bool(cleaned.get("logo_upload")) or (
            self.instance.logo_hash and not cleaned.get("remove_logo")
        )
        if has_logo and not (cleaned.get("name") or "").strip():
            self.add_error(
                "name", gettext("Give the organisation's name: it is the logo's alternative text.")
            )
        return cleaned


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    form = BrandForm
    fields = ["name", "primary_colour", "contrast", "current_logo", "logo_upload", "remove_logo"]
    readonly_fields = ["contrast", "current_logo"]

    class Media:
        js = ["surveys/admin_brand.js"]
        css = {"all": ["surveys/admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Brand.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is its form.
        brand = Brand.objects.only("pk").first()
        if brand is None:
            return redirect("admin:surveys_brand_add")
        return redirect("admin:surveys_brand_change", brand.pk)

    def get_urls(self):
        return [
            path("contrast/", self.admin_site.admin_view(self.contrast_view), name="surveys_brand_contrast")
        ] + super().get_urls()

    def render_change_form(self, request, context, *args, **kwargs):
        context["adminform"].form.fields["primary_colour"].widget.attrs["data-contrast-url"] = reverse(
            "admin:surveys_brand_contrast"
        )
        return super().render_change_form(request, context, *args, **kwargs)

    def contrast_view(self, request: HttpRequest) -> JsonResponse:
        """The colours a chosen colour gives and their contrast, for the form's live table."""
        if not self.has_view_or_change_permission(request) and not self.has_add_permission(request):
            return JsonResponse({"error": gettext("Not allowed.")}, status=403)
        colour = request.GET.get("colour", "").strip().lower()
        try:
            result = palette(colour)
        except ValueError:
            return JsonResponse({"error": gettext("Enter a colour as # and six hex digits.")}, status=400)
        pairs = [
            {**vars(pair), "passes": pair.passes, "mode": gettext(pair.mode), "what": gettext(pair.what)}
            for pair in check(result)
        ]
        return JsonResponse({"colour": result.chosen, "pairs": pairs})

    @admin.display(description=_("Contrast"))
    def contrast(self, obj: Brand) -> str:
        intro = gettext(
            "Text must reach 4.5:1 against what it is read on, borders and focus rings 3:1, on the light "
            "and the dark page. Where the chosen colour falls short, links and borders use it darkened "
            "(light page) or lightened (dark page) just enough, and the text on a filled button is black "
            "or white, whichever reads better."
        )
        if not obj or not obj.primary_colour:
            body = gettext("No colour chosen: the pages keep their own blue.")
            return format_html(
                '<p class="brand-contrast-intro">{}</p><div data-brand-contrast>{}</div>', intro, body
            )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} on {}</td><td>{}:1</td><td>{}</td></tr>",
            (
                (p.mode, p.what, p.foreground, p.background, p.ratio, f"≥ {p.minimum}:1")
                for p in check(palette(obj.primary_colour))
            ),
        )
        return format_html(
            '<p class="brand-contrast-intro">{}</p><div data-brand-contrast><table class="brand-contrast">'
            "<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>"
            "</table></div>",
            intro,
            gettext("Page"),
            gettext("What"),
            gettext("Colours"),
            gettext("Contrast"),
            gettext("Needed"),
            rows,
        )

    @admin.display(description=_("Current logo"))
    def current_logo(self, obj: Brand) -> str:
        if not obj or not obj.logo_hash:
            return gettext("None")
        return format_html(
            '<img class="brand-admin-logo" src="{}" alt="{}" width="{}" height="{}">',
            logo_path(obj.logo_hash, obj.logo_type),
            obj.name,
            obj.logo_width,
            obj.logo_height,
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        logo = None if data.get("remove_logo") else (data.get("logo_upload") or KEEP)
        saved = brand_update(name=data["name"], primary_colour=data["primary_colour"], logo=logo)
        obj.pk = saved.pk
