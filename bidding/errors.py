"""Typed errors of the bidding engine, rendered the same way in socket frames and HTTP bodies.

Clients branch on `code`, never on the message. Rule refusals (`auctions.rules.BidRefused`) are
converted here, so the socket, the HTTP fallback and the page share one shape and one status table.
"""

from django.utils.translation import gettext_lazy as _

from auctions.rules import BidRefused, naming_rule

# HTTP status per code: 400 malformed input, 401/403 who may bid, 404 no such public round,
# 409 the round's state refuses the bid (it may succeed later or with another amount), 429 floods.
HTTP_STATUS = {
    "bad_message": 400,
    "invalid_amount": 400,
    "not_authenticated": 401,
    "not_registered": 403,
    "deposit_missing": 403,
    "profile_required": 403,
    "terms_required": 400,
    "barred": 403,
    "forbidden": 403,
    "reason_required": 400,
    "wrong_status": 409,
    "server_error": 500,
    "not_found": 404,
    "too_low": 409,
    "not_a_multiple": 409,
    "already_leading": 409,
    "auction_not_started": 409,
    "auction_closed": 409,
    "auction_suspended": 409,
    "registration_closed": 409,
    "rate_limited": 429,
    "unavailable": 503,
}


class BidError(Exception):
    """An error with a machine-readable code, a translated message naming the rule, and data."""

    def __init__(self, code: str, message, rule: str | None = None, **data):
        super().__init__(str(message))
        self.code, self.message, self.rule, self.data = code, message, rule, data

    def __reduce__(self):  # pickled by the writer process (bidding/writer_process.py)
        return (_rebuild, (self.code, self.message, self.rule, self.data))

    @classmethod
    def from_refusal(cls, refusal: BidRefused) -> "BidError":
        return cls(str(refusal.code), refusal.message, refusal.rule, **refusal.params)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def as_frame(self, client_bid_id: str | None = None) -> dict:
        """The error frame of docs/websocket.md; the HTTP fallback returns the same object."""
        message = str(self.message)
        return {
            "type": "error",
            "code": self.code,
            "message": naming_rule(self.rule, message),
            "rule": self.rule,
            "client_bid_id": client_bid_id,
            "data": {key: str(value) for key, value in self.data.items()},
        }


def _rebuild(code: str, message, rule: str | None, data: dict) -> BidError:
    return BidError(code, message, rule, **data)


def bad_message(reason) -> BidError:
    return BidError("bad_message", reason)


def not_found() -> BidError:
    return BidError("not_found", _("没有这场拍卖"))


def not_authenticated() -> BidError:
    return BidError("not_authenticated", _("请先登录"))


def not_registered() -> BidError:
    return BidError("not_registered", _("您尚未报名参加本场拍卖"), "BD1")


def rate_limited(retry_after: float) -> BidError:
    return BidError("rate_limited", _("操作过于频繁，请稍后再试"), retry_after=f"{retry_after:.1f}")


def unavailable() -> BidError:
    """The database could not be reached: no ack (retry with the same client_bid_id); FA7 covers the period."""
    return BidError("unavailable", _("平台暂时无法接受出价，请稍后重试；恢复后竞价时间将依规延长"), "FA7")
