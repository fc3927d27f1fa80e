"""The double-entry ledger: two entries per movement summing to zero, append-only, once per key,
balances derived from entries only."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payments import ledger
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction


@pytest.fixture
def accounts(court, bob, live_auction):
    return ledger.escrow(court), ledger.bidder(bob), ledger.auction_account(LedgerAccount.Kind.PROCEEDS, live_auction)


def test_a_movement_is_two_entries_summing_to_zero(accounts, live_auction, court, bob):
    escrow, bidder, proceeds = accounts
    ledger.post(
        "t1",
        LedgerTransaction.Kind.PAYMENT_IN,
        debit=escrow,
        credit=bidder,
        amount=Decimal("10000.00"),
        auction=live_auction,
    )
    ledger.post(
        "t2",
        LedgerTransaction.Kind.APPLY,
        debit=bidder,
        credit=proceeds,
        amount=Decimal("10000.00"),
        auction=live_auction,
    )
    assert [e.amount.amount for e in LedgerEntry.objects.filter(transaction__key="t1")] == [
        Decimal("10000.00"),
        Decimal("-10000.00"),
    ]
    assert ledger.unbalanced_transactions() == [] and ledger.grand_total() == 0
    assert ledger.escrow_balance(court) == Decimal("10000.00")
    assert ledger.owed_to_bidder(bob) == 0
    assert ledger.auction_totals(live_auction)["proceeds"] == Decimal("10000.00")


def test_the_same_key_moves_money_once(accounts, live_auction):
    escrow, bidder, _ = accounts
    ledger.post(
        "once",
        LedgerTransaction.Kind.PAYMENT_IN,
        debit=escrow,
        credit=bidder,
        amount=Decimal("1.00"),
        auction=live_auction,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.post(
            "once",
            LedgerTransaction.Kind.PAYMENT_IN,
            debit=escrow,
            credit=bidder,
            amount=Decimal("1.00"),
            auction=live_auction,
        )
    assert LedgerEntry.objects.count() == 2


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-5.00")])
def test_a_movement_must_be_positive(accounts, live_auction, amount):
    escrow, bidder, _ = accounts
    with pytest.raises(ValueError):
        ledger.post(
            "bad", LedgerTransaction.Kind.PAYMENT_IN, debit=escrow, credit=bidder, amount=amount, auction=live_auction
        )
    assert not LedgerTransaction.objects.exists()


def test_entries_are_append_only(accounts, live_auction):
    escrow, bidder, _ = accounts
    txn = ledger.post(
        "t",
        LedgerTransaction.Kind.PAYMENT_IN,
        debit=escrow,
        credit=bidder,
        amount=Decimal("3.00"),
        auction=live_auction,
    )
    entry = txn.entries.first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(PermissionError):
        LedgerTransaction.objects.all().delete()
    assert ledger.grand_total() == 0
