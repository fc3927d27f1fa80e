"""The confirmation (成交确认书, ST1) as a PDF, rendered on demand from its frozen facts.

Fonts: reportlab embeds TrueType-outline fonts only. The font is `settings.CONFIRMATION_PDF_FONT`
("path" or "path#index" for a .ttc collection), else the first known TrueType CJK font on the
machine (Debian's fonts-wqy-microhei, which `make browser` installs). Noto CJK ships PostScript
(CFF) outlines, which reportlab cannot embed, so it is skipped. With no usable font the document
uses the standard CID font STSong-Light, which every PDF viewer supplies itself: the text is the
same Unicode, correct and extractable, only the glyphs come from the viewer.
"""

import io
import logging
import os
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

from auctions.presenters import yuan
from lots import pii

from .models import Confirmation

log = logging.getLogger(__name__)

KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/simsun.ttc",
)
FALLBACK_FONT = "STSong-Light"

FULL, PUBLIC = "full", "public"


def _try_font(spec: str) -> str | None:
    path, _, index = spec.partition("#")
    if not path or not os.path.isfile(path):
        return None
    name = f"ConfirmationCJK-{abs(hash(spec)) % 10**8}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=int(index or 0)))
    except (TTFError, ValueError, OSError) as exc:  # CFF outlines, bad index, unreadable file
        log.warning("confirmation PDF font %s not usable: %s", spec, exc)
        return None
    return name


@lru_cache(maxsize=8)
def _font_for(configured: str) -> str:
    for spec in (configured,) if configured else KNOWN_FONTS:
        name = _try_font(spec)
        if name:
            return name
    if configured:
        log.warning("CONFIRMATION_PDF_FONT %s not usable; using %s", configured, FALLBACK_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def font_name() -> str:
    """The registered name of the font the PDFs use (see the module docstring)."""
    return _font_for(getattr(settings, "CONFIRMATION_PDF_FONT", "") or "")


def _when(value: str | None) -> str:
    if not value:
        return "—"
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y年%m月%d日 %H:%M:%S")


def rows(confirmation: Confirmation, copy: str) -> list[tuple[str, str]]:
    """The facts of the document, label and value, in the order printed. The public copy masks
    the buyer's name and ID number and the door number of the lot's location (AN5)."""
    facts = confirmation.facts
    full = copy == FULL
    return [
        ("确认书编号", confirmation.number),
        ("拍卖法院", facts.get("court_name", "")),
        ("执行案号", facts.get("case_number", "")),
        ("标的物", facts.get("lot_title", "")),
        ("标的物所在地", facts.get("lot_location", "") if full else pii.mask_address(facts.get("lot_location", ""))),
        ("拍卖轮次", facts.get("round_label", "")),
        ("竞价开始时间", _when(facts.get("starts_at"))),
        ("竞价结束时间", _when(facts.get("closed_at"))),
        ("起拍价", yuan(_decimal(facts.get("starting_price")))),
        ("成交价", yuan(confirmation.price.amount)),
        ("买受人", confirmation.buyer_name if full else confirmation.buyer_name_masked),
        ("身份证号码", confirmation.buyer_id_number if full else confirmation.buyer_id_number_masked),
        ("竞买号", confirmation.bidder_code),
        ("保证金抵作价款", yuan(confirmation.deposit_applied.amount)),
        ("应付余款", yuan(confirmation.balance.amount)),
        ("余款支付截止时间", timezone.localtime(confirmation.balance_due_at).strftime("%Y年%m月%d日 %H:%M")),
        ("出价记录最终哈希", facts.get("final_hash") or "—"),
    ]


def _decimal(value):
    return Decimal(value) if value not in (None, "") else None


def render(confirmation: Confirmation, copy: str = FULL) -> bytes:
    """The PDF bytes: FULL for the court and the buyer, PUBLIC (masked) for everyone else."""
    font = font_name()
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4)
    subtitle = ParagraphStyle("subtitle", parent=base, alignment=TA_CENTER, textColor=colors.HexColor("#555555"))
    label = ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333"))
    value = ParagraphStyle("value", parent=base, fontSize=11)
    facts = confirmation.facts

    def p(text, style=base):
        return Paragraph(escape(str(text)), style)

    table = Table(
        [[p(name, label), p(text, value)] for name, text in rows(confirmation, copy)],
        colWidths=[40 * mm, 130 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    price = yuan(confirmation.price.amount)
    buyer = confirmation.buyer_name if copy == FULL else confirmation.buyer_name_masked
    body = (
        f"买受人{buyer}（竞买号{confirmation.bidder_code}）于{_when(facts.get('closed_at'))}"
        f"在{facts.get('court_name', '')}于本平台依法举行的网络司法拍卖中，以最高应价{price}竞得上述标的物。"
        f"买受人交纳的保证金{yuan(confirmation.deposit_applied.amount)}自动转为价款，"
        f"应于{timezone.localtime(confirmation.balance_due_at).strftime('%Y年%m月%d日 %H:%M')}前"
        f"将余款{yuan(confirmation.balance.amount)}汇入法院指定账户；逾期未付的，视为悔拍，保证金不予退还（ST3、ST4）。"
        "买受人付清全部价款后，由法院作出拍卖成交裁定并移交标的物（ST3）。"
    )
    story = [
        p("网络司法拍卖成交确认书", title),
        p("公开版（买受人身份信息已脱敏）" if copy == PUBLIC else "正本", subtitle),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
        p(body),
        Spacer(1, 10 * mm),
        KeepTogether(
            [
                p(facts.get("court_name", ""), ParagraphStyle("right", parent=base, alignment=2)),
                p(
                    f"生成时间：{timezone.localtime(confirmation.issued_at).strftime('%Y年%m月%d日 %H:%M:%S')}",
                    ParagraphStyle("right2", parent=base, alignment=2),
                ),
            ]
        ),
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"成交确认书 {confirmation.number}",
        author=facts.get("court_name", ""),
        invariant=True,
    )
    document.build(story)
    return out.getvalue()
