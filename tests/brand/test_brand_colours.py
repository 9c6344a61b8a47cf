"""Whatever colour is chosen, the colours the pages use keep text at 4.5:1 and controls at 3:1,
on the light and the dark page (surveys/brand_colours.py)."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.brand_colours import DARK, LIGHT, check, contrast, luminance, palette, parse

NAMED = [
    "#ffff00",
    "#ffffff",
    "#000000",
    "#808080",
    "#777777",
    "#1d4ed8",
    "#e53935",
    "#00ff00",
    "#00ffff",
    "#ff00ff",
    "#ff8800",
    "#0000ff",
    "#767676",
    "#595959",
    "#fafafa",
    "#101010",
    "#c0ffee",
]
# Every channel at 0, 51, … 255: 216 colours across the whole cube.
GRID = ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in itertools.product(range(0, 256, 51), repeat=3)]


def failures(colour: str) -> list:
    return [pair for pair in check(palette(colour)) if not pair.passes]


def test_known_ratios_match_wcag():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 0), (255, 255, 255)) == pytest.approx(1.07, abs=0.01)
    assert contrast(parse("#767676"), parse("#ffffff")) == pytest.approx(4.54, abs=0.01)
    assert luminance((255, 255, 255)) == pytest.approx(1.0) and luminance((0, 0, 0)) == 0


@pytest.mark.parametrize("colour", NAMED + GRID)
def test_every_pair_meets_its_minimum(colour):
    assert failures(colour) == []


@given(st.tuples(*[st.integers(0, 255)] * 3))
def test_any_colour_meets_every_minimum(rgb):
    assert failures("#{:02x}{:02x}{:02x}".format(*rgb)) == []


@pytest.mark.parametrize("colour", NAMED + GRID)
def test_checked_pairs_are_really_the_ratios(colour):
    """The table is not trusted blindly: recompute the key ratios from the palette itself."""
    result = palette(colour)
    for mode, scheme in ((LIGHT, result.light), (DARK, result.dark)):
        accent, fill, on_fill, soft = (
            parse(c) for c in (scheme.accent, scheme.fill, scheme.on_fill, scheme.soft)
        )
        for background in (mode.card, mode.page, soft):
            assert contrast(accent, background) >= 4.5
        assert contrast(on_fill, fill) >= 4.5
        assert contrast(fill, mode.card) >= 3
        assert contrast(mode.text, soft) >= 4.5


def test_a_colour_that_already_reads_well_is_kept_as_chosen():
    result = palette("#1d4ed8")
    assert (result.light.accent, result.light.fill, result.light.on_fill) == ("#1d4ed8", "#1d4ed8", "#ffffff")


def test_yellow_is_darkened_on_the_light_page_and_kept_on_the_dark():
    result = palette("#ffff00")
    assert result.light.accent != "#ffff00" and contrast(parse(result.light.accent), LIGHT.card) >= 4.5
    # still a yellow: red and green equal, no blue
    r, g, b = parse(result.light.accent)
    assert r == g and b == 0
    assert (result.dark.accent, result.dark.fill, result.dark.on_fill) == ("#ffff00", "#ffff00", "#000000")


def test_white_and_black_become_greys_where_they_would_vanish():
    assert palette("#ffffff").light.accent not in ("#ffffff",)
    assert palette("#000000").dark.accent not in ("#000000",)
    assert palette("#000000").light.accent == "#000000"


def test_mid_grey_fill_gets_the_better_of_black_and_white_text():
    result = palette("#808080")
    assert result.light.fill == "#808080" and result.light.on_fill == "#000000"


@pytest.mark.parametrize("bad", ["", "ffff00", "#fff", "#gggggg", "#ffff001", "red"])
def test_anything_but_hex_is_refused(bad):
    with pytest.raises(ValueError):
        palette(bad)


def test_uppercase_is_accepted():
    assert palette("#FFFF00").chosen == "#ffff00"
