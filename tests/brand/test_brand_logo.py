"""A logo is accepted only as a PNG or JPEG, by its own bytes, within the size limits."""

import pytest

from surveys.brand_logo import MAX_BYTES, LogoError, inspect
from tests.brand.images import jpeg, png


def test_png_size_and_type_are_read_from_its_header():
    logo = inspect(png(120, 40))
    assert (logo.content_type, logo.width, logo.height) == ("image/png", 120, 40)
    assert len(logo.digest) == 16 and logo.digest == inspect(png(120, 40)).digest
    assert inspect(png(120, 41)).digest != logo.digest


def test_jpeg_size_is_read_from_its_frame_header():
    logo = inspect(jpeg(64, 32))
    assert (logo.content_type, logo.width, logo.height) == ("image/jpeg", 64, 32)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "PNG or JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "PNG or JPEG"),
        (b"", "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "damaged"),
        (b"\xff\xd8\xff\xe0\x00", "damaged"),
        (png(2001, 10), "2000"),
        (png(0, 10), "2000"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_BYTES, "at most 200 KB"),
    ],
)
def test_anything_else_is_refused_with_a_reason(data, says):
    with pytest.raises(LogoError) as refused:
        inspect(data)
    assert says in str(refused.value)
