"""The wire format shared by the socket and the HTTP fallback (docs/websocket.md).

Times are ISO 8601 in UTC with milliseconds, amounts are decimal strings, and every JSON text is
produced by `dumps`, so an event serialised at publish time and one rebuilt from the database are
byte-identical.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .errors import bad_message

MAX_MESSAGE_BYTES = 2048
MAX_CLIENT_BID_ID = 64
CLIENT_TYPES = frozenset({"bid", "resync", "ping"})


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="milliseconds")


def to_millis(moment: datetime) -> datetime:
    """Receive times are kept to the millisecond: what is stored, hashed and shown is the same."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def dumps(frame: dict) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def event_frame(seq: int, kind: str, at: datetime, data: dict) -> dict:
    return {"type": "event", "seq": seq, "kind": kind, "server_time": iso(at), "data": data}


def frame_text(events: list[tuple[int, str]]) -> str:
    """One frame for consecutive events given as (seq, text): the event's own text when there is
    one, else an `events` frame listing them in seq order (docs/websocket.md). The texts are joined
    as they are, never parsed and serialised again."""
    if len(events) == 1:
        return events[0][1]
    return '{"type":"events","events":[' + ",".join(text for _seq, text in events) + "]}"


def event_text(event) -> str:
    """The frame of a stored AuctionEvent, byte-identical to the one published when it happened."""
    return dumps(event_frame(event.seq, event.kind, event.created_at, event.payload))


def parse_client_message(raw: str | bytes | None) -> dict:
    """A client frame as a dict with a known `type`; raises BidError(bad_message) otherwise.

    The amount is passed on untouched: `auctions.rules.parse_amount` decides it (invalid_amount).
    """
    if raw is None:
        raise bad_message(_("消息为空"))
    if len(raw.encode() if isinstance(raw, str) else raw) > MAX_MESSAGE_BYTES:
        raise bad_message(_("消息过长"))
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_message(_("消息不是有效的 JSON")) from None
    # A list or object as "type" is unhashable: check that it is a string before the set lookup.
    if not isinstance(message, dict) or not isinstance(message.get("type"), str) or message["type"] not in CLIENT_TYPES:
        raise bad_message(_("未知的消息类型"))
    if message["type"] == "bid":
        client_bid_id = message.get("client_bid_id", "")
        if not isinstance(client_bid_id, str) or len(client_bid_id) > MAX_CLIENT_BID_ID:
            raise bad_message(_("client_bid_id 须为不超过64个字符的字符串"))
        if "amount" not in message:
            raise bad_message(_("出价消息缺少金额"))
        message["client_bid_id"] = client_bid_id
    return message


def pong_frame(now: datetime) -> dict:
    return {"type": "pong", "server_time": iso(now)}
