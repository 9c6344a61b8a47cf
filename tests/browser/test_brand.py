"""A brand colour that reads badly as it is (yellow on white) still gives a page axe passes and
whose colours, as Chromium computes them, keep 4.5:1 for text and 3:1 for controls, at a phone's
width, light and dark."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from surveys.brand_colours import palette
from surveys.services.brand import brand_update
from tests.brand.images import png
from tests.browser.test_customer_pages import axe_violations, phone_page, rich_invitation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YELLOW = "#ffff00"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Each pair: [selector, what] -> [selector, what, ratio]. "text": colour on the element's own
# background, or the first opaque one above it; "border": border colour on the background
# around the element; "fill": the element's background on the background around it; "ring":
# the focus ring (the second box shadow) on the card.
RATIOS = """(pairs) => {
  const rgb = (css) => css.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (css) => {
    const [r, g, b] = rgb(css).map((v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const opaque = (css) => css && css !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(css);
  const behind = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor;
      if (opaque(bg)) return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const card = getComputedStyle(document.querySelector('.card')).backgroundColor;
  return pairs.map(([selector, what]) => {
    const el = document.querySelector(selector);
    const style = getComputedStyle(el);
    let fg, bg;
    if (what === 'text') { fg = style.color; bg = behind(el); }
    else if (what === 'border') { fg = style.borderTopColor; bg = behind(el.parentElement); }
    else if (what === 'fill') { fg = behind(el); bg = behind(el.parentElement); }
    else { fg = style.boxShadow.split(/px, /)[1]; bg = card; }
    return [selector, what, Math.round(ratio(fg, bg) * 100) / 100];
  });
}"""


@pytest.fixture(autouse=True)
def _customer_site(settings, live_server):
    settings.ROOT_URLCONF = "tests.browser.customer_urls"
    settings.SITE_URL = live_server.url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"}
    }


def _score_save(response) -> bool:
    return response.request.method == "POST" and "/s/" in response.url


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_yellow_brand_passes_axe_and_keeps_every_ratio_on_a_phone(browser, live_server, scheme):
    # Light: the name in the header (the README's screenshot); dark: the logo.
    logo = png(160, 48, (250, 220, 0)) if scheme == "dark" else None
    brand_update(name="Sunny Support", primary_colour=YELLOW, logo=logo)
    invitation = rich_invitation()
    context, page = phone_page(browser, width=375, color_scheme=scheme)
    page.goto(f"{live_server.url}/s/{invitation.token}/")

    expected = getattr(palette(YELLOW), scheme)
    accent = page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent == expected.accent  # the brand's colours are in force, not the defaults
    if logo:
        image = page.get_by_role("img", name="Sunny Support")
        expect(image).to_be_visible()
        assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 160  # served, decoded
    else:
        expect(page.locator(".brand-name")).to_have_text("Sunny Support")
    assert axe_violations(page) == []
    if scheme == "light" and os.environ.get("SCREENSHOTS") == "1":  # make screenshots: the README's
        page.screenshot(path=str(SCREENSHOTS / "survey-branded.png"))

    with page.expect_response(_score_save):
        page.locator("label[for=id_nps_9]").click()
    page.locator("#id_nps_9").focus()
    page.keyboard.press("ArrowLeft")  # keyboard focus shows the ring on 8
    ratios = page.evaluate(
        RATIOS,
        [
            ["label[for=id_nps_4]", "text"],
            ["label[for=id_nps_4]", "border"],
            ["label[for=id_nps_8]", "ring"],
            ["button[type=submit]", "text"],
            ["button[type=submit]", "border"],
            [".survey-languages a", "text"],
        ],
    )
    with page.expect_response(_score_save):  # the arrow's choice, saved as focus leaves the scale
        page.locator("#id_comment").focus()
    ratios += page.evaluate(RATIOS, [["label[for=id_nps_8]", "text"], ["label[for=id_nps_8]", "fill"]])
    assert axe_violations(page) == []
    context.close()

    needed = {"text": 4.5, "border": 3, "ring": 3, "fill": 3}
    assert [r for r in ratios if r[2] < needed[r[1]]] == [], ratios
