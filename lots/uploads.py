"""Checks of uploaded photos and PDFs by their content, never by the name the client sent.

Stored files get a fresh random name with the extension of the verified format, so a file called
"photo.jpg" that is really HTML can neither pass nor be served back under its own name.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

# Pillow format name → the extension the stored file gets.
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PDF_MAGIC = b"%PDF-"


def _check_size(uploaded_file, limit: int) -> None:
    if uploaded_file.size > limit:
        raise ValidationError(
            _("文件过大：不得超过 %(mb)s MB。"),
            code="file_too_large",
            params={"mb": limit // (1024 * 1024)},
        )
    if uploaded_file.size == 0:
        raise ValidationError(_("文件为空。"), code="file_empty")


def check_photo(uploaded_file) -> str:
    """A JPEG, PNG or WebP image of at most MAX_PHOTO_BYTES; returns the extension to store it under."""
    _check_size(uploaded_file, settings.MAX_PHOTO_BYTES)
    try:
        uploaded_file.seek(0)
        with Image.open(uploaded_file) as image:
            image_format = image.format
            image.verify()  # reads the whole file: a truncated or forged image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("文件不是有效的图片（仅支持 JPEG、PNG、WebP）。"), code="invalid_image") from exc
    finally:
        uploaded_file.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(_("仅支持 JPEG、PNG、WebP 格式的照片。"), code="unsupported_image_format")
    return PHOTO_FORMATS[image_format]


def check_pdf(uploaded_file) -> None:
    """A PDF (by its %PDF- header) of at most MAX_DOCUMENT_BYTES."""
    _check_size(uploaded_file, settings.MAX_DOCUMENT_BYTES)
    uploaded_file.seek(0)
    head = uploaded_file.read(1024)
    uploaded_file.seek(0)
    # The header may follow a few bytes of junk in the wild, but must sit in the first kilobyte.
    if PDF_MAGIC not in head:
        raise ValidationError(_("文件不是有效的 PDF 文件。"), code="invalid_pdf")


def stored_name(extension: str) -> str:
    return f"{uuid.uuid4().hex}.{extension}"
