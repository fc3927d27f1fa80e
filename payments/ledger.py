"""The double-entry ledger: every money movement is one transaction of two entries summing to zero.

Balances are always sums of entries, never stored. Sign: debits positive, credits negative, so the
court's escrow (money held) is positive and what is owed to a bidder is negative on their account.
"""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from djmoney.money import Money

from auctions import clock

from .models import LedgerAccount, LedgerEntry, LedgerTransaction

Kind = LedgerAccount.Kind
ZERO = Decimal("0.00")


def _account(kind: str, code: str, **owner) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(code=code, defaults={"kind": kind, **owner})
    return account


def escrow(court) -> LedgerAccount:
    return _account(Kind.ESCROW, f"escrow:court:{court.pk}", court=court)


def bidder(user) -> LedgerAccount:
    return _account(Kind.BIDDER, f"bidder:user:{user.pk}", user=user)


def auction_account(kind: str, auction) -> LedgerAccount:
    """PROCEEDS, or one of the ST4 uses of a forfeited deposit, of one auction round."""
    return _account(kind, f"{kind}:auction:{auction.pk}", auction=auction)


def post(key: str, kind: str, *, debit: LedgerAccount, credit: LedgerAccount, amount: Decimal, auction, **refs):
    """Moves `amount` from `credit` to `debit`, once per key: the unique key makes a repeated post
    fail the caller's transaction instead of moving the money twice."""
    if amount <= 0:
        raise ValueError(f"a ledger movement must be positive, not {amount}")
    transaction = LedgerTransaction.objects.create(key=key, kind=kind, auction=auction, created_at=clock.now(), **refs)
    LedgerEntry.objects.create(transaction=transaction, account=debit, amount=Money(amount, "CNY"))
    LedgerEntry.objects.create(transaction=transaction, account=credit, amount=Money(-amount, "CNY"))
    return transaction


def _sum(entries) -> Decimal:
    return entries.aggregate(total=Sum("amount"))["total"] or ZERO


def balance(account: LedgerAccount) -> Decimal:
    return _sum(LedgerEntry.objects.filter(account=account))


def _owed(credit_balance: Decimal) -> Decimal:
    """A credit balance read as a positive amount owed (and never as -0.00)."""
    return -credit_balance or ZERO


def held_for_deposit(deposit) -> Decimal:
    """What the court holds for this deposit's bidder: paid in, not yet refunded, applied or forfeited."""
    return _owed(_sum(LedgerEntry.objects.filter(account__kind=Kind.BIDDER, transaction__deposit=deposit)))


def held_by_deposit(deposit_ids) -> dict[int, Decimal]:
    rows = (
        LedgerEntry.objects.filter(account__kind=Kind.BIDDER, transaction__deposit__in=deposit_ids)
        .values("transaction__deposit")
        .annotate(total=Sum("amount"))
    )
    return {row["transaction__deposit"]: _owed(row["total"]) for row in rows}


def escrow_balance(court) -> Decimal:
    return _sum(LedgerEntry.objects.filter(account__kind=Kind.ESCROW, account__court=court))


def owed_to_bidder(user) -> Decimal:
    return _owed(_sum(LedgerEntry.objects.filter(account__kind=Kind.BIDDER, account__user=user)))


T = LedgerTransaction.Kind
FORFEIT_KINDS = [Kind.RESALE_COSTS, Kind.SHORTFALL, Kind.DEBT, Kind.REMAINDER]
# Per round: money paid in, refunded, held for bidders now, applied to the price, received as price
# (deposit applied + balance) and forfeited; each a sum of entries, sign-adjusted to read positive.
TOTALS = {
    "paid_in": (1, Q(transaction__kind=T.PAYMENT_IN, account__kind=Kind.ESCROW)),
    "refunded": (1, Q(transaction__kind=T.REFUND_OUT, account__kind=Kind.BIDDER)),
    "held": (-1, Q(account__kind=Kind.BIDDER)),
    "applied": (1, Q(transaction__kind=T.APPLY, account__kind=Kind.BIDDER)),
    "proceeds": (-1, Q(account__kind=Kind.PROCEEDS)),
    "forfeited": (-1, Q(account__kind__in=FORFEIT_KINDS)),
}


def totals_by_auction(auction_ids) -> dict[int, dict[str, Decimal]]:
    rows = (
        LedgerEntry.objects.filter(transaction__auction__in=auction_ids)
        .values("transaction__auction")
        .annotate(**{name: Sum("amount", filter=where) for name, (_, where) in TOTALS.items()})
    )
    empty = dict.fromkeys(TOTALS, ZERO)
    found = {
        row["transaction__auction"]: {name: sign * (row[name] or ZERO) or ZERO for name, (sign, _) in TOTALS.items()}
        for row in rows
    }
    return {pk: found.get(pk, empty) for pk in auction_ids}


def auction_totals(auction) -> dict[str, Decimal]:
    return totals_by_auction([auction.pk])[auction.pk]


def unbalanced_transactions() -> list[int]:
    """Ids of transactions that are not exactly two entries summing to zero (always empty)."""
    rows = LedgerTransaction.objects.annotate(n=Count("entries"), total=Sum("entries__amount")).exclude(n=2, total=ZERO)
    return list(rows.values_list("id", flat=True))


def grand_total() -> Decimal:
    return _sum(LedgerEntry.objects.all())
