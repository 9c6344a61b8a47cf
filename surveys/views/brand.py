"""The brand's logo, public (emails and survey pages show it to anyone)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from ..models import LOGO_EXTENSIONS
from ..selectors_brand import brand_logo


@require_safe
def logo(request: HttpRequest, digest: str, ext: str) -> HttpResponse:
    """The current logo's bytes. Its URL holds its hash, so it can be kept for a year: a new
    logo has a new URL, and an old URL answers 404."""
    found = brand_logo(digest)
    if found is None or LOGO_EXTENSIONS.get(found[1]) != ext:
        raise Http404("no such logo")
    data, content_type = found
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Disposition"] = "inline"
    return response
