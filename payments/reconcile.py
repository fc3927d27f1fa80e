"""Compares the ledger with what each provider says, and deposits' statuses with the ledger.

Every difference is reported; nothing is corrected here (a person decides what a difference means).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from . import ledger
from .errors import ProviderError
from .gateways import get_gateway
from .models import Deposit, LedgerAccount, LedgerEntry, LedgerTransaction, Payment

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Difference:
    kind: str
    subject: str
    ours: Decimal | None = None
    theirs: Decimal | None = None
    detail: str = ""

    def __str__(self) -> str:
        amounts = f" ledger={self.ours} provider={self.theirs}" if self.ours is not None or self.theirs else ""
        return f"{self.kind}: {self.subject}{amounts} {self.detail}".rstrip()


def _ledger_integrity() -> list[Difference]:
    found = [
        Difference("unbalanced_transaction", f"ledger transaction {pk}") for pk in ledger.unbalanced_transactions()
    ]
    total = ledger.grand_total()
    if total:
        found.append(Difference("ledger_not_zero", "all accounts", total, ZERO))
    return found


def _sums_by(kind: str, account_kind: str, field: str) -> dict[int, Decimal]:
    rows = (
        LedgerEntry.objects.filter(transaction__kind=kind, account__kind=account_kind)
        .values(field)
        .annotate(total=Sum("amount"))
    )
    return {row[field]: row["total"] for row in rows}


def _provider(name: str) -> list[Difference]:
    """Per payment: captured at the provider = paid in on the ledger; refunded there = paid out."""
    try:
        remote = get_gateway(name).list_payments()
    except ProviderError as exc:
        return [Difference("provider_unreachable", name, detail=str(exc))]
    by_ref = {payment.ref: payment for payment in remote}
    by_key = {payment.key: payment for payment in remote if payment.key}
    paid_in = _sums_by(LedgerTransaction.Kind.PAYMENT_IN, LedgerAccount.Kind.ESCROW, "transaction__payment")
    paid_out = _sums_by(LedgerTransaction.Kind.REFUND_OUT, LedgerAccount.Kind.BIDDER, "transaction__refund__payment")
    found, seen = [], set()
    for payment in Payment.objects.filter(provider=name):
        theirs = by_ref.get(payment.provider_ref) or by_key.get(payment.key)
        if theirs is None:
            if payment.status == Payment.Status.SUCCEEDED:
                found.append(Difference("missing_at_provider", f"payment {payment.reference}", paid_in.get(payment.pk)))
            continue
        seen.add(theirs.ref)
        captured = theirs.amount if theirs.status == "captured" else ZERO
        ours_in = paid_in.get(payment.pk, ZERO)
        if captured != ours_in:
            found.append(Difference("captured_differs", f"payment {payment.reference}", ours_in, captured))
        ours_out = paid_out.get(payment.pk, ZERO)
        if theirs.amount_refunded != ours_out:
            found.append(
                Difference("refunded_differs", f"payment {payment.reference}", ours_out, theirs.amount_refunded)
            )
    for payment in remote:
        if payment.ref not in seen and payment.status == "captured":
            found.append(Difference("unknown_at_ledger", f"{name} {payment.ref}", None, payment.amount, payment.key))
    return found


EXPECTED_HELD = {
    Deposit.Status.PENDING: False,
    Deposit.Status.SECURED: True,
    Deposit.Status.APPLIED: False,
    Deposit.Status.RELEASED: False,
    Deposit.Status.FORFEITED: False,
}


def _deposits() -> list[Difference]:
    """A secured deposit is held in full on the ledger (an exempt one holds nothing); any other
    status holds nothing for the bidder."""
    held = defaultdict(lambda: ZERO)
    rows = (
        LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.BIDDER)
        .values("transaction__deposit")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        held[row["transaction__deposit"]] = -row["total"]
    found = []
    for deposit in Deposit.objects.only("pk", "status", "amount", "amount_currency", "provider"):
        expected = deposit.amount.amount if EXPECTED_HELD[deposit.status] and deposit.provider != "exempt" else ZERO
        if held[deposit.pk] != expected:
            found.append(
                Difference(f"deposit_{deposit.status}_held", f"deposit {deposit.pk}", held[deposit.pk], expected)
            )
    return found


def reconcile(providers: list[str] | None = None) -> list[Difference]:
    names = providers or sorted({"sandbox", "bank", *Payment.objects.values_list("provider", flat=True).distinct()})
    found = _ledger_integrity()
    for name in names:
        found += _provider(name)
    return found + _deposits()
