"""The brand's one row in the admin: saved through the service, bad uploads and colours refused
beside their field, and the contrast explained, also live."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.brand_logo import MAX_BYTES
from surveys.models import Brand
from tests.brand.images import jpeg, png

pytestmark = pytest.mark.django_db
ADD = "admin:surveys_brand_add"


def upload(data: bytes, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def post(client, **fields):
    data = {"name": "Acme", "primary_colour": "#1d4ed8", **fields}
    return client.post(reverse(ADD), data)


def test_the_list_leads_to_the_one_row(admin_client):
    assert admin_client.get(reverse("admin:surveys_brand_changelist"))["Location"] == reverse(ADD)
    post(admin_client)
    brand = Brand.objects.get()
    assert admin_client.get(reverse("admin:surveys_brand_changelist"))["Location"] == reverse(
        "admin:surveys_brand_change", args=[brand.pk]
    )
    assert admin_client.get(reverse(ADD)).status_code == 403  # no second row


def test_saving_stores_name_colour_and_a_checked_logo(admin_client):
    response = post(admin_client, name=" Acme ", primary_colour="#FFFF00", logo_upload=upload(png(120, 40)))

    assert response.status_code == 302
    brand = Brand.objects.get()
    assert (brand.name, brand.primary_colour, brand.logo_type) == ("Acme", "#ffff00", "image/png")
    assert (brand.logo_width, brand.logo_height, bytes(brand.logo)) == (120, 40, png(120, 40))
    page = admin_client.get(reverse("admin:surveys_brand_change", args=[brand.pk])).content.decode()
    assert "#707000 on #ffffff" in page and "4.5:1" in page  # the contrast table for yellow
    assert f"/brand/logo/{brand.logo_hash}.png" in page


@pytest.mark.parametrize(
    ("file", "says"),
    [
        (upload(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", "image/svg+xml"), "PNG or JPEG"),
        (upload(b"GIF89a....", "logo.png"), "PNG or JPEG"),  # the name and type lie
        (upload(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_BYTES), "at most 200 KB"),
        (upload(png(2400, 10)), "2000"),
    ],
)
def test_a_bad_upload_is_refused_beside_the_field_and_nothing_saved(admin_client, file, says):
    response = post(admin_client, logo_upload=file)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert says in " ".join(errors["logo_upload"])
    assert not Brand.objects.exists()


def test_a_jpeg_is_accepted(admin_client):
    assert post(admin_client, logo_upload=upload(jpeg(64, 32), "logo.jpg", "image/jpeg")).status_code == 302
    assert Brand.objects.get().logo_type == "image/jpeg"


@pytest.mark.parametrize("colour", ["yellow", "#fff", "#12345g"])
def test_a_colour_that_is_not_hex_is_refused(admin_client, colour):
    response = post(admin_client, primary_colour=colour)

    assert response.status_code == 200
    assert "six hex digits" in " ".join(response.context["adminform"].form.errors["primary_colour"])


def test_a_logo_needs_a_name_for_its_alternative_text(admin_client):
    response = post(admin_client, name="", logo_upload=upload(png()))

    assert response.status_code == 200
    assert "alternative text" in " ".join(response.context["adminform"].form.errors["name"])


def test_removing_the_logo_keeps_the_rest(admin_client):
    post(admin_client, logo_upload=upload(png()))
    brand = Brand.objects.get()
    admin_client.post(
        reverse("admin:surveys_brand_change", args=[brand.pk]),
        {"name": "Acme", "primary_colour": "#1d4ed8", "remove_logo": "on"},
    )
    brand.refresh_from_db()
    assert (brand.name, brand.logo, brand.logo_hash) == ("Acme", None, "")


def test_live_contrast_answers_for_any_colour(admin_client):
    url = reverse("admin:surveys_brand_contrast")
    answer = admin_client.get(url, {"colour": "#FFFF00"}).json()

    assert answer["colour"] == "#ffff00"
    assert len(answer["pairs"]) == 16 and all(pair["passes"] for pair in answer["pairs"])
    assert {"mode": "light", "foreground": "#707000", "background": "#ffffff"}.items() <= answer["pairs"][
        0
    ].items()
    assert admin_client.get(url, {"colour": "nope"}).status_code == 400


def test_only_staff_with_the_permission_reach_the_brand(client, designer_client):
    assert client.get(reverse("admin:surveys_brand_contrast"))["Location"].startswith("/admin/login/")
    assert designer_client.get(reverse(ADD)).status_code == 403
    assert (
        designer_client.get(reverse("admin:surveys_brand_contrast"), {"colour": "#ffff00"}).status_code == 403
    )
