"""The text of a 拍卖公告, built from the lot, the round, the reference price and the court.

`build_sections` returns every item AN3 requires and the prominent warnings of AN4 as a list of
{"key", "title", "body", "warning"} in Chinese, the legal text, plus {"translations": {"en": {...}}}
for the other site languages. Personal data is masked in everything it writes (AN5). Publication
freezes this list in Announcement.sections (AN6); `localized_sections` picks a reader's language.
"""

import re

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bidding.models import PriorityRight
from lots import pii
from lots.models import EnforcementCase, Party

from .models import Announcement, Auction

LEGAL_LANGUAGE = "zh-hans"

_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_PLATE_RE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z]·?[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9])"
)


# --- AN5 masking ------------------------------------------------------------------------------
def scrub(text: str, parties=()) -> str:
    """Masks ID numbers, mobile numbers and vehicle plates anywhere in free text, and the names and
    addresses of the case's natural persons where the court typed them in full (AN5)."""
    for party in parties:
        if party.address and party.address in text:
            text = text.replace(party.address, pii.mask_address(party.address))
        if party.kind == Party.Kind.PERSON and len(party.name) > 1 and party.name in text:
            text = text.replace(party.name, pii.mask_person_name(party.name))
    text = _ID_RE.sub(lambda m: pii.mask_id_number(m.group()), text)
    text = _MOBILE_RE.sub(lambda m: pii.mask_phone(m.group()), text)
    return _PLATE_RE.sub(lambda m: pii.mask_plate(m.group()), text)


def scrub_for_case(text: str, case: EnforcementCase) -> str:
    return scrub(text, list(case.parties.all()))


def public_party_name(party: Party) -> str:
    """Organisations appear by name; natural persons only masked (AN5)."""
    return pii.mask_person_name(party.name) if party.kind == Party.Kind.PERSON else party.name


def platform_name() -> str:
    return _("网络司法拍卖平台")


# --- Formatting -------------------------------------------------------------------------------
def yuan(money) -> str:
    return f"¥{money.amount:,.2f}"


def when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- The sections -----------------------------------------------------------------------------
def _section(key: str, title: str, body: str, warning: bool = False) -> dict:
    return {"key": key, "title": title, "body": body, "warning": warning}


def _intro(auction: Auction, parties) -> str:
    lot, case = auction.lot, auction.lot.case
    applicants = "、".join(public_party_name(p) for p in parties if p.role == Party.Role.APPLICANT)
    respondents = "、".join(public_party_name(p) for p in parties if p.role == Party.Role.RESPONDENT)
    return _(
        "%(court)s在执行%(number)s申请执行人%(applicants)s与被执行人%(respondents)s%(cause)s一案中，"
        "将于%(start)s至%(end)s在%(platform)s对下列财产进行公开%(round)s。"
    ) % {
        "court": lot.court.name,
        "applicants": applicants or _("（略）"),
        "respondents": respondents or _("（略）"),
        "cause": case.cause,
        "number": case.number,
        "start": when(auction.starts_at),
        "end": when(auction.scheduled_end_at),
        "platform": platform_name(),
        "round": auction.round_label,
    }


def _survey(lot) -> str:
    photos = list(lot.photos.all())
    documents = list(lot.documents.all())
    parts = [_("现场照片%(n)s张，见标的物页面。") % {"n": len(photos)} if photos else _("暂无现场照片。")]
    if documents:
        parts.append(_("附件：%(titles)s。") % {"titles": "；".join(f"《{d.title}》" for d in documents)})
    parts.append(_("竞买人可于竞价开始前向法院申请看样。"))
    return "".join(parts)


def _reference_text(reference) -> str:
    text = _("参考价%(value)s，确定方式：%(method)s，价值时点%(date)s，有效期至%(until)s。") % {
        "value": yuan(reference.value),
        "method": reference.get_method_display(),
        "date": reference.valuation_date.isoformat(),
        "until": reference.valid_until.isoformat(),
    }
    if reference.agency_id:
        text += _("评估机构：%(agency)s（经随机摇号选定）。") % {"agency": reference.agency.name}
    return text


def _priority_text(holders: int) -> str:
    if holders:
        return _(
            "经本院确认，本标的物有%(n)s名优先购买权人。优先购买权人经法院确认后取得优先竞买代码，"
            "可以与最高出价相同的价格应价；同等价格下优先购买权人优先，顺位在先者优先。"
        ) % {"n": holders}
    return _(
        "本院未发现优先购买权人。如有优先购买权人，应在竞价开始前持证明向本院提出，"
        "经确认后参与竞买；未参与竞买的，视为放弃优先购买权。"
    )


def _sections_in_active_language(auction: Auction) -> list[dict]:
    lot, court = auction.lot, auction.lot.court
    parties = list(lot.case.parties.all())
    reference = lot.current_reference_price()
    holders = PriorityRight.objects.filter(auction=auction).count()

    def clean(text: str) -> str:
        return scrub(text, parties)

    defects = clean(lot.known_defects) or _("法院未发现其他瑕疵。")
    encumbrances = clean(lot.encumbrances) or _("法院未发现抵押、查封以外的其他权利负担。")
    occupancy = clean(lot.occupancy) or _("法院未发现租赁、占用情况。")
    sections = [
        _section("intro", _("公告"), clean(_intro(auction, parties))),
        # AN4: the prominent warnings come first, before any detail.
        _section(
            "warning_as_is",
            _("特别提示：按现状拍卖"),
            _("本标的物按现状拍卖，法院不保证其品质与价值。已知瑕疵：%(defects)s") % {"defects": defects},
            True,
        ),
        _section("warning_priority", _("特别提示：优先购买权"), _priority_text(holders), True),
        _section(
            "warning_ineligible",
            _("特别提示：不得参与竞买的人员"),
            _(
                "被执行人；本案承办法官、书记员等相关法院工作人员；评估机构及本平台的相关工作人员；"
                "在本标的物此前拍卖中悔拍的买受人，均不得参与竞买。"
            ),
            True,
        ),
        _section(
            "warning_taxes",
            _("特别提示：税费"),
            _("过户所涉税费依法由买卖双方各自承担；没有规定或者规定不明的，由买受人承担。竞买人应事先向税务部门咨询。"),
            True,
        ),
        _section(
            "warning_burdens",
            _("特别提示：占有、租赁及其他负担"),
            _("占有使用情况：%(occupancy)s 权利负担：%(encumbrances)s")
            % {"occupancy": occupancy, "encumbrances": encumbrances},
            True,
        ),
        _section(
            "warning_law",
            _("特别提示：其他法定事项"),
            _("竞买人应自行了解标的物是否受限购、限贷等政策限制；因不符合条件导致无法过户的，由竞买人自行承担后果。"),
            True,
        ),
        # AN3 items.
        _section(
            "property",
            _("拍卖财产"),
            clean(
                _("%(title)s（%(category)s），位于%(location)s。%(description)s")
                % {
                    "title": lot.title,
                    "category": lot.get_category_display(),
                    "location": lot.location,
                    "description": lot.description,
                }
            ),
        ),
        _section("survey", _("现状调查"), _survey(lot)),
        _section("reference_price", _("参考价及确定方式"), _reference_text(reference) if reference else _("（无）")),
        _section(
            "starting_price", _("起拍价"), _("起拍价%(price)s，无保留价。") % {"price": yuan(auction.starting_price)}
        ),
        _section(
            "increment",
            _("加价幅度"),
            _("加价幅度%(increment)s；首次出价可为起拍价，其后每次出价须在当前最高价基础上加整数倍加价幅度。")
            % {"increment": yuan(auction.increment)},
        ),
        _section(
            "deposit",
            _("保证金及交纳方式"),
            _(
                "保证金%(deposit)s，竞买人须在竞价结束前通过本平台在线交纳，交纳后方可出价。"
                "未成交的，保证金在竞价结束后24小时内退还；买受人的保证金抵作价款。"
            )
            % {"deposit": yuan(auction.deposit)},
        ),
        _section(
            "eligibility",
            _("竞买人条件"),
            _(
                "竞买人应当具备完全民事行为能力，经实名认证并交纳保证金。法律、行政法规对买受人资格有规定的，应当符合规定。"
            ),
        ),
        _section("priority_rights", _("优先购买权人参与竞买的方式"), _priority_text(holders)),
        _section(
            "defects",
            _("已知瑕疵及权利负担"),
            _("已知瑕疵：%(defects)s 权利负担：%(encumbrances)s") % {"defects": defects, "encumbrances": encumbrances},
        ),
        _section(
            "rights_obligations",
            _("权利义务"),
            _("买受人付清全部价款后，法院出具拍卖成交裁定，标的物所有权自裁定送达买受人时转移。"),
        ),
        _section(
            "liability",
            _("法律责任"),
            _("买受人悔拍的，交纳的保证金不予退还，并不得参加该标的物的再次拍卖；造成损失的依法承担责任。"),
        ),
        _section(
            "bidding_period",
            _("竞价时间"),
            _("%(start)s至%(end)s。竞价结束前5分钟内有人出价的，结束时间自该出价时起延后5分钟，循环往复直至无人出价。")
            % {"start": when(auction.starts_at), "end": when(auction.scheduled_end_at)},
        ),
        _section(
            "platform_court",
            _("拍卖平台及法院"),
            _("拍卖平台：%(platform)s。拍卖法院：%(court)s，地址：%(address)s，咨询电话：%(phone)s。")
            % {
                "platform": platform_name(),
                "court": court.name,
                "address": court.address or _("（略）"),
                "phone": court.phone or _("（略）"),
            },
        ),
        _section(
            "balance",
            _("余款交纳期限及方式"),
            _("买受人应于%(due)s前将余款汇入法院指定账户，逾期未付的视为悔拍。")
            % {"due": when(auction.balance_due_at)},
        ),
        _section(
            "taxes",
            _("税费负担"),
            _(
                "拍卖成交后，过户所涉税费由买卖双方依照法律、行政法规的规定各自承担；没有规定或者规定不明的，"
                "由买受人承担。办理过户登记的手续费用由买受人承担。"
            ),
        ),
    ]
    court_text = auction.announcement.court_text if hasattr(auction, "announcement") else ""
    if court_text:
        sections.append(_section("court_text", _("法院补充说明"), clean(court_text)))
    return sections


def build_sections(auction: Auction) -> list[dict]:
    """The announcement in the legal language with each other site language attached."""
    with translation.override(LEGAL_LANGUAGE):
        sections = _sections_in_active_language(auction)
    for code, _name in settings.LANGUAGES:
        if code == LEGAL_LANGUAGE:
            continue
        with translation.override(code):
            translated = _sections_in_active_language(auction)
        for section, other in zip(sections, translated, strict=True):
            section.setdefault("translations", {})[code] = {"title": other["title"], "body": other["body"]}
    return sections


def localized_sections(sections: list[dict], language_code: str) -> list[dict]:
    """Sections with title and body in the reader's language where a translation was frozen."""
    result = []
    for section in sections:
        translated = section.get("translations", {}).get(language_code, {})
        result.append(
            {
                **section,
                "title": translated.get("title", section["title"]),
                "body": translated.get("body", section["body"]),
            }
        )
    return result


def announcement_sections(announcement: Announcement, language_code: str) -> list[dict]:
    """What a reader sees: the frozen text once published, a fresh preview before."""
    sections = announcement.sections if announcement.is_published else build_sections(announcement.auction)
    return localized_sections(sections, language_code)
