"""Typed payment refusals: pages, the API and tests branch on `code`, users read `message`."""

from enum import StrEnum

from auctions.rules import naming_rule


class PaymentErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    AUCTION_ENDED = "auction_ended"
    NOT_PAYABLE = "not_payable"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    INVALID_AMOUNT = "invalid_amount"
    PROVIDER_NOT_OFFERED = "provider_not_offered"
    PROVIDER_DECLINED = "provider_declined"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    BALANCE_OVERDUE = "balance_overdue"
    DEFAULT_NOT_DUE = "default_not_due"
    ILLEGAL_TRANSITION = "illegal_transition"


class PaymentError(Exception):
    """A refusal with nothing changed. `rule` names the law that speaks, when one does."""

    def __init__(self, code: PaymentErrorCode, message, *, field: str | None = None, rule: str | None = None):
        super().__init__(str(message))
        self.code, self.message, self.field, self.rule = code, message, field, rule

    def __str__(self) -> str:
        return naming_rule(self.rule, self.message)


class ProviderError(Exception):
    """A provider could not be reached or refused the call; safe to retry with the same key."""

    def __init__(self, message: str, *, declined: bool = False):
        super().__init__(message)
        self.declined = declined
