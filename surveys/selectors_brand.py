"""Reading the brand (surveys/models/brand.py) for the customer's pages and emails.

Every request reads it afresh, but from Django's cache (Redis), not the database: the warm
survey page's one query (tests/survey/test_hot_path.py) stays one. ``brand_update`` deletes
the entry when a change commits, so every process sees the change on its next request. The
cache fails open (surveys/cache.py): with Redis down each read goes to the database. The
entry also expires after ``CACHE_SECONDS``, the longest a missed delete (Redis down at that
moment) can show the old brand.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from .brand_colours import Palette, palette
from .models import LOGO_EXTENSIONS, Brand

CACHE_KEY = "brand:v1"
CACHE_SECONDS = 300
_FIELDS = ("name", "primary_colour", "logo_type", "logo_hash", "logo_width", "logo_height")


@dataclass(frozen=True)
class BrandView:
    """What pages and emails show. Empty name, no logo and no palette: the product's own look."""

    name: str = ""
    logo_path: str = ""  # site-relative; "" without a logo
    logo_width: int | None = None
    logo_height: int | None = None
    colours: Palette | None = None

    @property
    def logo_url(self) -> str:
        """The logo's absolute URL, for emails."""
        return f"{settings.SITE_URL}{self.logo_path}" if self.logo_path else ""

    @property
    def is_set(self) -> bool:
        return bool(self.name or self.logo_path or self.colours)


def logo_path(digest: str, content_type: str) -> str:
    return reverse("surveys:brand_logo", kwargs={"digest": digest, "ext": LOGO_EXTENSIONS[content_type]})


def _row() -> dict:
    row = Brand.objects.values(*_FIELDS).first()
    return row or {}


def brand_current() -> BrandView:
    """The brand now: one cache read, or one query (never the logo's bytes) on a miss."""
    row = cache.get(CACHE_KEY)
    if row is None:
        row = _row()
        cache.set(CACHE_KEY, row, CACHE_SECONDS)
    if not row:
        return BrandView()
    return BrandView(
        name=row["name"],
        logo_path=logo_path(row["logo_hash"], row["logo_type"]) if row["logo_hash"] else "",
        logo_width=row["logo_width"],
        logo_height=row["logo_height"],
        colours=palette(row["primary_colour"]) if row["primary_colour"] else None,
    )


def brand_logo(digest: str) -> tuple[bytes, str] | None:
    """The logo's bytes and content type, if ``digest`` is the current logo's."""
    row = Brand.objects.filter(logo_hash=digest).values_list("logo", "logo_type").first()
    return (bytes(row[0]), row[1]) if row else None
