"""Checking an uploaded logo without an imaging library: PNG or JPEG only, recognised by its
own bytes (not its name or the browser's word), at most ``MAX_BYTES`` and ``MAX_SIDE`` pixels a
side. SVG is refused: it can carry scripts, and nothing here sanitises it.

Pure functions; ``inspect`` raises ``LogoError`` with a message fit for the form.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_BYTES = 200 * 1024
MAX_SIDE = 2000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the size (not C4 DHT, C8 JPG, CC DAC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class LogoError(ValueError):
    pass


@dataclass(frozen=True)
class Logo:
    content_type: str
    width: int
    height: int
    digest: str  # 16 hex digits of SHA-256: the logo's URL changes with its bytes


def _png_size(data: bytes) -> tuple[int, int]:
    # The signature, then the IHDR chunk first: length (13), "IHDR", width, height.
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise LogoError(_("This PNG file is damaged."))
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise LogoError(_("This JPEG file is damaged."))
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            raise LogoError(_("This JPEG file is damaged."))
        if marker in _SOF:
            if i + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        if marker in (0xD9, 0xDA):  # end of image, or the scan began before any frame header
            break
        i += 2 + length
    raise LogoError(_("This JPEG file is damaged."))


def too_big(size: int) -> str:
    return _("The logo is %(size)d KB; at most %(max)d KB is accepted.") % {
        "size": -(-size // 1024),
        "max": MAX_BYTES // 1024,
    }


def inspect(data: bytes) -> Logo:
    """The logo's type, size and digest; LogoError if it is not a PNG or JPEG we accept."""
    if len(data) > MAX_BYTES:
        raise LogoError(too_big(len(data)))
    if data.startswith(PNG_SIGNATURE):
        content_type, (width, height) = "image/png", _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        content_type, (width, height) = "image/jpeg", _jpeg_size(data)
    else:
        raise LogoError(_("Upload the logo as a PNG or JPEG image (SVG and other formats are not accepted)."))
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise LogoError(
            _("The logo is %(width)d × %(height)d pixels; each side must be 1 to %(max)d.")
            % {"width": width, "height": height, "max": MAX_SIDE}
        )
    return Logo(content_type, width, height, hashlib.sha256(data).hexdigest()[:16])
