"""The words of each notification, made when it is shown or sent, in the reader's language.

A notification stores its kind and parameters (lot title, amounts as text, times in ISO form);
`render` turns them into a title and a body. Amounts and bidder codes are all a message names of
other people (BD3): never a name or an ID number.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lots.models import DisposalRecord

from .models import Kind


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def _when(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    if moment is None:
        return "—"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _step_label(step: str | None) -> str:
    try:
        return str(DisposalRecord.Kind(step).label)
    except ValueError:
        return step or ""


def _step_label(step: str | None) -> str:
    try:
        return str(DisposalRecord.Kind(step).label)
    except ValueError:
        return step or ""


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def render(kind: str, params: dict) -> Text:
    p = dict(params)
    lot = p.get("lot", "")
    if kind == Kind.REGISTERED:
        return Text(
            _("报名成功"),
            _("您已报名参加「%(lot)s」（%(round)s），竞买号 %(code)s。保证金到账后即可出价。")
            % {"lot": lot, "round": p.get("round", ""), "code": p.get("code", "")},
        )
    if kind == Kind.DEPOSIT_SECURED:
        return Text(
            _("保证金已冻结"),
            _("「%(lot)s」的保证金 %(amount)s 已冻结，竞价期间即可出价。")
            % {"lot": lot, "amount": p.get("amount", "")},
        )
    if kind == Kind.OUTBID:
        return Text(
            _("您的出价已被超越"),
            _("「%(lot)s」的当前价已升至 %(price)s（竞买号 %(code)s），您的出价 %(yours)s 不再领先。")
            % {"lot": lot, "price": p.get("price", ""), "code": p.get("code", ""), "yours": p.get("yours", "")},
        )
    if kind == Kind.STARTING_SOON:
        return Text(_("即将开拍"), _("「%(lot)s」将于 %(at)s 开始竞价。") % {"lot": lot, "at": _when(p.get("at"))})
    if kind == Kind.ENDING_SOON:
        return Text(
            _("即将结束"),
            _("「%(lot)s」将于 %(at)s 结束竞价（最后5分钟内出价会延时），当前价 %(price)s。")
            % {"lot": lot, "at": _when(p.get("at")), "price": p.get("price", "")},
        )
    if kind == Kind.EXTENDED:
        return Text(
            _("竞价延时"),
            _("「%(lot)s」最后5分钟内有人出价，结束时间延至 %(at)s（BI2）。") % {"lot": lot, "at": _when(p.get("at"))},
        )
    if kind == Kind.WON:
        body = _("恭喜！您以 %(price)s 竞得「%(lot)s」（竞买号 %(code)s）。") % {
            "lot": lot,
            "price": p.get("price", ""),
            "code": p.get("code", ""),
        }
        return Text(_("恭喜您竞得"), body)
    if kind == Kind.LOST:
        if p.get("result") == "failed":
            body = _("「%(lot)s」流拍，保证金将在24小时内退还（ST2）。") % {"lot": lot}
        elif p.get("result") == "withdrawn":
            body = _("「%(lot)s」已由法院撤回，保证金将退还（FA5）。") % {"lot": lot}
        else:
            body = _("「%(lot)s」以 %(price)s 成交，您未竞得，保证金将在24小时内退还（ST2）。") % {
                "lot": lot,
                "price": p.get("price", ""),
            }
        return Text(_("拍卖已结束"), body)
    if kind == Kind.DEPOSIT_RELEASED:
        return Text(
            _("保证金已退还"),
            _("「%(lot)s」的保证金 %(amount)s 已退还。") % {"lot": lot, "amount": p.get("amount", "")},
        )
    if kind == Kind.BALANCE_DUE:
        return Text(
            _("请付尾款"),
            _("「%(lot)s」应付尾款 %(balance)s，请于 %(due)s 前付清（ST3）；逾期视为悔拍，保证金不予退还（ST4）。")
            % {"lot": lot, "balance": p.get("balance", ""), "due": _when(p.get("due"))},
        )
    if kind == Kind.BALANCE_REMINDER:
        return Text(
            _("尾款即将到期"),
            _("「%(lot)s」的尾款 %(balance)s 将于 %(due)s 到期，请尽快付清（ST3）。")
            % {"lot": lot, "balance": p.get("balance", ""), "due": _when(p.get("due"))},
        )
    if kind == Kind.CASE_RESULT:
        if p.get("step") == DisposalRecord.Kind.ROUND_SOLD:
            outcome = _("拍卖成交，成交价 %(price)s") % {"price": p.get("price", "")}
        else:
            outcome = _("流拍")
        return Text(
            _("拍卖结果"),
            _("案件 %(case)s：「%(lot)s」%(outcome)s。") % {"case": p.get("case", ""), "lot": lot, "outcome": outcome},
        )
    if kind == Kind.CASE_STEP:
        return Text(
            _("处置进展"),
            _("案件 %(case)s：「%(lot)s」%(step)s（%(at)s）。")
            % {"case": p.get("case", ""), "lot": lot, "step": _step_label(p.get("step")), "at": _when(p.get("at"))},
        )
    return Text(str(kind), "")
