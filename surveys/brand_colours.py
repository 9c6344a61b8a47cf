"""The colours a brand's pages and emails actually use, derived from the one colour chosen.

Pure functions, no Django. WCAG 2 relative luminance and contrast ratio; from the chosen
colour, for the light and the dark page:

- ``accent``: links, outlined buttons' text and border, the focus ring. The chosen colour,
  darkened (light page) or lightened (dark page) in small steps only as far as needed to reach
  4.5:1 against every background it is read on (card, page, the soft tint). 4.5:1 covers the
  3:1 that borders and focus rings need.
- ``fill``: the background of a filled button and of the chosen score. The chosen colour as it
  is when it stands out 3:1 from the card (so a chosen score is told from the others), else
  ``accent``.
- ``on_fill``: the text on ``fill``: black or white, whichever contrasts more. One of them
  always reaches 4.5:1 (the worst case, a luminance of about 0.18, still gives 4.58:1).
- ``soft``: a tint of the chosen colour for hovers and notices, kept at 4.5:1 behind the
  page's text.

``check`` lists every pair with its ratio and the minimum it must meet: the admin shows it,
and the tests hold it over many colours.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

RGB = tuple[int, int, int]
HEX_COLOUR = re.compile(r"^#[0-9a-f]{6}$")

TEXT_MIN = 4.5
CONTROL_MIN = 3.0
STEP = 0.02  # of the way to black or white per step: at most 50 steps

BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)


@dataclass(frozen=True)
class Mode:
    """One colour scheme of the survey page (static/surveys/survey.css): its backgrounds and text."""

    name: str
    card: RGB
    page: RGB
    text: RGB
    towards: RGB  # which way the accent moves to gain contrast


LIGHT = Mode(
    "light", card=(0xFF, 0xFF, 0xFF), page=(0xF3, 0xF4, 0xF6), text=(0x1F, 0x23, 0x28), towards=BLACK
)
DARK = Mode("dark", card=(0x1A, 0x1F, 0x27), page=(0x0F, 0x12, 0x17), text=(0xE8, 0xEA, 0xED), towards=WHITE)


def parse(colour: str) -> RGB:
    """``#rrggbb`` (any case) to a triple; ValueError otherwise."""
    value = colour.strip().lower()
    if not HEX_COLOUR.match(value):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance, 0 (black) to 1 (white)."""
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, 1 to 21, the same either way round."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(a: RGB, b: RGB, share_of_b: float) -> RGB:
    """``a`` moved ``share_of_b`` (0..1) of the way to ``b``, per sRGB channel, rounded."""
    return tuple(round(x + (y - x) * share_of_b) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _until(colour: RGB, towards: RGB, against: list[RGB], minimum: float) -> RGB:
    """``colour`` moved towards ``towards`` step by step until it reaches ``minimum`` against
    every colour in ``against``; at the end of the road it is ``towards`` itself."""
    steps = round(1 / STEP)
    for i in range(steps + 1):
        candidate = mix(colour, towards, i * STEP)
        if all(contrast(candidate, other) >= minimum for other in against):
            return candidate
    return towards


def best_text_on(background: RGB) -> RGB:
    """Black or white, whichever contrasts more with ``background``."""
    return BLACK if contrast(BLACK, background) >= contrast(WHITE, background) else WHITE


@dataclass(frozen=True)
class Scheme:
    """The colours of one mode, as hex strings for CSS and email."""

    accent: str
    fill: str
    on_fill: str
    soft: str


def scheme(chosen: RGB, mode: Mode) -> Scheme:
    # The tint behind hovers and notices: 10 % of the colour on the card, less if the page's
    # text would fall under 4.5:1 on it.
    share = 0.10
    soft = mix(mode.card, chosen, share)
    while contrast(mode.text, soft) < TEXT_MIN and share > 0:
        share = round(share - 0.02, 2)
        soft = mix(mode.card, chosen, share)
    accent = _until(chosen, mode.towards, [mode.card, mode.page, soft], TEXT_MIN)
    fill = chosen if contrast(chosen, mode.card) >= CONTROL_MIN else accent
    return Scheme(
        accent=to_hex(accent), fill=to_hex(fill), on_fill=to_hex(best_text_on(fill)), soft=to_hex(soft)
    )


@dataclass(frozen=True)
class Palette:
    chosen: str
    light: Scheme
    dark: Scheme


def palette(colour: str) -> Palette:
    """The light and dark schemes for ``colour`` (``#rrggbb``)."""
    chosen = parse(colour)
    return Palette(chosen=to_hex(chosen), light=scheme(chosen, LIGHT), dark=scheme(chosen, DARK))


@dataclass(frozen=True)
class Pair:
    """One colour read on another, with its ratio and the minimum it must meet."""

    mode: str
    what: str
    foreground: str
    background: str
    ratio: float
    minimum: float

    @property
    def passes(self) -> bool:
        return self.ratio >= self.minimum


def check(result: Palette) -> list[Pair]:
    """Every pair the survey page and the email show, with its contrast."""
    pairs = []
    for mode, s in ((LIGHT, result.light), (DARK, result.dark)):
        accent, fill, on_fill, soft = (parse(c) for c in (s.accent, s.fill, s.on_fill, s.soft))
        rows = [
            ("links and button text on the card", accent, mode.card, TEXT_MIN),
            ("links on the page", accent, mode.page, TEXT_MIN),
            ("button text on its hover tint", accent, soft, TEXT_MIN),
            ("page text on the tint", mode.text, soft, TEXT_MIN),
            ("text on a filled button", on_fill, fill, TEXT_MIN),
            ("button borders and focus ring on the card", accent, mode.card, CONTROL_MIN),
            ("focus ring on the page", accent, mode.page, CONTROL_MIN),
            ("a chosen score against the card", fill, mode.card, CONTROL_MIN),
        ]
        for what, fg, bg, minimum in rows:
            pairs.append(
                Pair(
                    mode.name, what, to_hex(fg), to_hex(bg), math.floor(contrast(fg, bg) * 100) / 100, minimum
                )
            )
    return pairs
