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


def move(key, debit, credit, amount, auction, kind=LedgerTransaction.Kind.PAYMENT_IN):
    return ledger.post(key, kind, debit=debit, credit=credit, amount=Decimal(amount), auction=auction)


def test_a_movement_is_two_entries_summing_to_zero(accounts, live_auction, court, bob):
    escrow, bidder, proceeds = accounts
    move("t1", escrow, bidder, "10000.00", live_auction)
    move("t2", bidder, proceeds, "10000.00", live_auction, LedgerTransaction.Kind.APPLY)
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
    move("once", escrow, bidder, "1.00", live_auction)
    with pytest.raises(IntegrityError), transaction.atomic():
        move("once", escrow, bidder, "1.00", live_auction)
    assert LedgerEntry.objects.count() == 2


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-5.00")])
def test_a_movement_must_be_positive(accounts, live_auction, amount):
    escrow, bidder, _ = accounts
    with pytest.raises(ValueError):
        move("bad", escrow, bidder, amount, live_auction)
    assert not LedgerTransaction.objects.exists()


def test_entries_are_append_only(accounts, live_auction):
    escrow, bidder, _ = accounts
    txn = move("t", escrow, bidder, "3.00", live_auction)
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
