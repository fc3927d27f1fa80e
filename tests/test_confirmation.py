"""ST1: the confirmation issued in the closing transaction, its PDF (Chinese text extracted and
checked) in full for the court and the buyer and masked in the public copy (AN5)."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from auctions import clock
from lots.models import DisposalRecord
from notices import pdf
from notices.models import Confirmation
from tests import factories
from tests.results_support import buyer_with_deposit, close_round

K = DisposalRecord.Kind
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> list[dict]:
    reader = PdfReader(io.BytesIO(data))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts.append(
                {"name": str(font["/BaseFont"]), "embedded": any(k in descriptor for k in ("/FontFile2", "/FontFile3"))}
            )
    return fonts


@pytest.fixture
def sold(live_auction):
    user, registration = buyer_with_deposit(live_auction, "buyer_li", "李四海")
    with clock.frozen(clock.now()):
        auction = close_round(live_auction, registration, 95_000)
    return auction, user, registration


def test_st1_confirmation_issued_in_the_closing_transaction(sold):
    auction, user, registration = sold
    confirmation = Confirmation.objects.get(auction=auction)
    assert confirmation.buyer == user and confirmation.bidder_code == registration.code
    assert confirmation.price.amount == 95_000
    assert (confirmation.deposit_applied.amount, confirmation.balance.amount) == (10_000, 85_000)
    assert confirmation.buyer_name == "李四海" and confirmation.buyer_name_masked == "李**"
    assert confirmation.facts["lot_title"] == auction.lot.title
    record = DisposalRecord.objects.get(auction=auction, kind=K.CONFIRMATION_ISSUED)
    sold_record = DisposalRecord.objects.get(auction=auction, kind=K.ROUND_SOLD)
    # Written by the close itself: same moment, the platform as actor, the price as amount.
    assert record.at == sold_record.at == auction.closed_at == confirmation.issued_at
    assert record.actor is None and record.actor_label == "系统"
    assert record.amount.amount == 95_000
    assert record.detail["number"] == confirmation.number and record.detail["code"] == registration.code


def test_st1_no_confirmation_for_a_failed_round(live_auction):
    auction = close_round(live_auction)
    assert auction.status == "failed"
    assert not Confirmation.objects.filter(auction=auction).exists()
    assert not DisposalRecord.objects.filter(auction=auction, kind=K.CONFIRMATION_ISSUED).exists()


def test_st1_closing_twice_issues_one_confirmation(sold):
    from auctions.handoff import round_closed

    auction, *_ = sold
    round_closed(auction)
    assert Confirmation.objects.filter(auction=auction).count() == 1
    assert DisposalRecord.objects.filter(auction=auction, kind=K.CONFIRMATION_ISSUED).count() == 1


def test_st1_pdf_text_holds_the_price_the_lot_and_the_buyer(sold):
    auction, user, registration = sold
    confirmation = Confirmation.objects.get(auction=auction)
    text = pdf_text(pdf.render(confirmation, pdf.FULL))
    assert "网络司法拍卖成交确认书" in text
    assert "¥95,000.00" in text and "¥85,000.00" in text
    assert auction.lot.title in text and auction.lot.case.number in text
    assert "李四海" in text and user.bidder.id_number in text and registration.code in text
    assert confirmation.number in text


def test_an5_public_copy_has_no_full_id_number_or_name(sold):
    auction, user, registration = sold
    confirmation = Confirmation.objects.get(auction=auction)
    text = pdf_text(pdf.render(confirmation, pdf.PUBLIC))
    assert "公开版" in text and "¥95,000.00" in text and registration.code in text
    assert user.bidder.id_number not in text and "李四海" not in text
    assert user.bidder.id_number_masked in text and "李**" in text


def test_pdf_embeds_the_truetype_cjk_font_when_installed(sold, settings):
    settings.CONFIRMATION_PDF_FONT = ""
    if not any(Path(path.partition("#")[0]).is_file() for path in pdf.KNOWN_FONTS):
        pytest.skip("no TrueType CJK font installed (make browser installs fonts-wqy-microhei)")
    data = pdf.render(Confirmation.objects.get(auction=sold[0]), pdf.FULL)
    fonts = pdf_fonts(data)
    assert any(font["embedded"] for font in fonts), fonts
    assert "¥95,000.00" in pdf_text(data) and "成交价" in pdf_text(data)


@pytest.mark.parametrize("configured", ["/nonexistent/font.ttf", str(NOTO_CJK)])
def test_pdf_falls_back_to_the_standard_cid_font_with_correct_text(sold, settings, configured):
    """A missing file, or Noto CJK (PostScript outlines, which reportlab cannot embed)."""
    settings.CONFIRMATION_PDF_FONT = configured
    data = pdf.render(Confirmation.objects.get(auction=sold[0]), pdf.FULL)
    assert [font["name"] for font in pdf_fonts(data) if "STSong" in font["name"]]
    text = pdf_text(data)
    assert "网络司法拍卖成交确认书" in text and "李四海" in text and "¥95,000.00" in text


def test_confirmation_number_is_unique_per_round(sold, case):
    other = factories.make_auction(factories.make_lot(case), starts_in=timedelta(hours=-1))
    user, registration = buyer_with_deposit(other, "buyer_wang", "王五")
    close_round(other, registration, 90_000)
    numbers = set(Confirmation.objects.values_list("number", flat=True))
    assert len(numbers) == 2
