"""Idempotent creates for the court API: a retry with the same `Idempotency-Key` gets the first answer.

The key is claimed by inserting its IdempotencyRecord in the same transaction as the create, so a
concurrent twin blocks on the unique (court, key) row and, once the first commits, replays its
answer; if the create fails, the claim rolls back with it and the key stays free for a corrected
request. Only successful answers are stored.
"""

import hashlib
import json
import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .api_auth import ApiError
from .models import Court, IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces; fits the column


def fingerprint(method: str, path: str, payload) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> tuple[int, dict, bool]:
    if record.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            _("该 Idempotency-Key 已用于另一个请求；请为新请求使用新的键。"),
        )
    return record.status_code, record.response, True


def run(request, court: Court, payload, perform: Callable[[], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """Runs `perform` (which returns (status, body) or raises) at most once per key and court;
    returns (status, body, replayed)."""
    key = request.headers.get(HEADER)
    if key is None:
        return (*perform(), False)
    if not KEY_RE.match(key):
        raise ApiError(400, "invalid_idempotency_key", _("Idempotency-Key 须为1至100个可见 ASCII 字符。"))
    endpoint = f"{request.method} {request.path}"[:120]
    request_hash = fingerprint(request.method, request.path, payload)
    existing = IdempotencyRecord.objects.filter(court=court, key=key).first()
    if existing is not None:
        return _replay(existing, request_hash)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                court=court, key=key, endpoint=endpoint, request_hash=request_hash, status_code=0, response={}
            )
            status, body = perform()
            record.status_code, record.response = status, body
            record.save(update_fields=["status_code", "response"])
    except IntegrityError:
        # A concurrent request with this key committed first: answer as it did.
        existing = IdempotencyRecord.objects.filter(court=court, key=key).first()
        if existing is None:
            raise
        return _replay(existing, request_hash)
    return status, body, False
