"""Pictures and a PDF for the demo lots, drawn on the fly so the repository carries no binaries."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

PALETTES = {
    "real_estate": ((214, 228, 240), (120, 94, 80)),
    "land_use": ((222, 235, 210), (96, 120, 70)),
    "vehicle": ((235, 235, 238), (40, 44, 52)),
    "equity": ((240, 232, 214), (150, 110, 40)),
    "other": ((238, 226, 226), (110, 60, 50)),
}


def _draw_subject(draw: ImageDraw.ImageDraw, category: str, ink, variant: int) -> None:
    shift = variant * 40
    if category in ("real_estate", "land_use"):
        draw.rectangle([220 + shift, 250, 580 + shift, 500], fill=ink)
        draw.polygon([(200 + shift, 260), (400 + shift, 120), (600 + shift, 260)], fill=ink)
        for x in range(260, 560, 80):
            draw.rectangle([x + shift, 300, x + 40 + shift, 350], fill=(250, 240, 200))
    elif category == "vehicle":
        draw.rounded_rectangle([150, 300 - shift // 4, 650, 420], radius=40, fill=ink)
        draw.rounded_rectangle([260, 220 - shift // 4, 540, 320], radius=30, fill=ink)
        for x in (240, 560):
            draw.ellipse([x - 50, 380, x + 50, 480], fill=(20, 20, 20))
    else:
        for i in range(3):
            draw.rectangle([180 + i * 160, 260 - i * 40 + shift // 4, 300 + i * 160, 480], fill=ink)


def demo_photo(category: str, variant: int = 0) -> SimpleUploadedFile:
    background, ink = PALETTES.get(category, PALETTES["other"])
    image = Image.new("RGB", (800, 600), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 500, 800, 600], fill=tuple(max(c - 40, 0) for c in background))
    _draw_subject(draw, category, ink, variant)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return SimpleUploadedFile(f"demo-{category}-{variant}.jpg", buffer.getvalue(), content_type="image/jpeg")


def demo_pdf(title: str) -> SimpleUploadedFile:
    """A one-page PDF saying it is a demo report (ASCII text: the base-14 fonts have no CJK)."""
    text = f"Demo document: {title.encode('ascii', 'ignore').decode() or 'report'}"
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return SimpleUploadedFile("demo.pdf", out.getvalue(), content_type="application/pdf")
