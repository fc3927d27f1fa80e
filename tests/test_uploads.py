"""Photo and PDF uploads are checked by content and size, never by name; forged files change nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from lots.forms import DocumentUploadForm, PhotoUploadForm
from lots.models import LotDocument, LotPhoto
from tests.console_support import draft_lot, media_root  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def image_bytes(fmt: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def lot(case, clerk, media_root):  # noqa: F811
    return draft_lot(case, clerk.user)


@pytest.fixture
def staff_client(client, clerk):
    client.force_login(clerk.user)
    return client


def photo_form(lot, name, content, content_type="image/jpeg"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return PhotoUploadForm({"caption": "外观"}, {"image": upload}, court=lot.court, lot=lot)


@pytest.mark.parametrize(("fmt", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_real_images_are_stored_under_a_fresh_name(lot, clerk, fmt, extension):
    form = photo_form(lot, "../../evil name.html", image_bytes(fmt))
    assert form.is_valid(), form.errors
    photo = form.save(clerk.user)
    assert photo.image.name.endswith("." + extension) and "evil" not in photo.image.name
    assert photo.position == 1


def test_text_file_named_jpg_is_refused(lot):
    form = photo_form(lot, "photo.jpg", b"<html><script>alert(1)</script></html>")
    assert not form.is_valid() and form.errors["image"][0].startswith("文件不是有效的图片")


def test_truncated_jpeg_is_refused(lot):
    assert not photo_form(lot, "photo.jpg", image_bytes("JPEG")[:60]).is_valid()


def test_gif_is_refused_even_though_it_is_an_image(lot):
    form = photo_form(lot, "photo.gif", image_bytes("GIF"), "image/gif")
    assert not form.is_valid() and "JPEG" in form.errors["image"][0]


def test_oversize_photo_is_refused(lot, settings):
    settings.MAX_PHOTO_BYTES = 100
    form = photo_form(lot, "photo.png", image_bytes("PNG", (200, 200)))
    assert not form.is_valid() and form.errors["image"][0].startswith("文件过大")


def test_missing_photo_is_a_field_error(lot):
    form = PhotoUploadForm({"caption": "x"}, {}, court=lot.court, lot=lot)
    assert not form.is_valid() and "image" in form.errors


def test_pdf_is_checked_by_magic_bytes(lot, clerk):
    fake = SimpleUploadedFile("report.pdf", b"GIF89a not a pdf", content_type="application/pdf")
    form = DocumentUploadForm({"title": "评估报告"}, {"file": fake}, court=lot.court, lot=lot)
    assert not form.is_valid() and form.errors["file"][0] == "文件不是有效的 PDF 文件。"
    real = SimpleUploadedFile("x.exe", PDF, content_type="application/octet-stream")
    form = DocumentUploadForm({"title": "评估报告"}, {"file": real}, court=lot.court, lot=lot)
    assert form.is_valid(), form.errors
    assert form.save(clerk.user).file.name.endswith(".pdf")


def test_oversize_pdf_is_refused(lot, settings):
    settings.MAX_DOCUMENT_BYTES = 10
    upload = SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")
    assert not DocumentUploadForm({"title": "t"}, {"file": upload}, court=lot.court, lot=lot).is_valid()


def test_console_upload_of_forged_photo_shows_error_and_saves_nothing(staff_client, lot):
    upload = SimpleUploadedFile("photo.jpg", b"just text", content_type="image/jpeg")
    response = staff_client.post(reverse("console:photo_upload", args=[lot.id]), {"image": upload})
    assert response.status_code == 400 and "文件不是有效的图片" in response.content.decode()
    assert not LotPhoto.objects.exists()


def test_console_upload_of_real_photo_and_pdf(staff_client, lot):
    photo = SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    assert staff_client.post(reverse("console:photo_upload", args=[lot.id]), {"image": photo}).status_code == 302
    pdf = SimpleUploadedFile("r.pdf", PDF, content_type="application/pdf")
    response = staff_client.post(reverse("console:document_upload", args=[lot.id]), {"file": pdf, "title": "产权证明"})
    assert response.status_code == 302
    assert LotPhoto.objects.count() == 1 and LotDocument.objects.get().title == "产权证明"


def test_reference_report_must_be_a_pdf(staff_client, lot):
    report = SimpleUploadedFile("r.pdf", b"not a pdf", content_type="application/pdf")
    data = {"method": "online", "value": "90000", "valuation_date": "2024-01-01", "report": report}
    response = staff_client.post(reverse("console:reference_price", args=[lot.id]), data)
    assert response.status_code == 400 and "文件不是有效的 PDF" in response.content.decode()
    assert lot.reference_prices.count() == 1
