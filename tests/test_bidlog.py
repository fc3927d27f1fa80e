"""BI4: the bid record is append-only and hash-chained; `manage.py verify_bid_log` finds any row
altered, removed or inserted behind the application's back (here: raw SQL), and checks the final
hash published when the round closed."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from auctions import clock, lifecycle
from bidding import bidlog
from bidding.models import Bid
from tests import factories
from tests.test_bidding_support import (
    NOW,
    bid,
    bidder,
    make_round,
)


@pytest.fixture
def auction(lot):
    auction = make_round(lot)
    alice, dave = bidder(auction, "alice"), bidder(auction, "dave")
    for n in range(4):
        bid((alice, dave)[n % 2], auction, str(80000 + n * 1000), at=NOW + timedelta(seconds=n))
    auction.refresh_from_db()
    return auction


def verify(*args) -> tuple[bool, str]:
    try:
        call_command("verify_bid_log", *args)
    except CommandError as error:
        assert error.returncode == 1
        return False, str(error)
    return True, ""


def raw_sql(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_bi4_an_intact_record_verifies(auction, capsys):
    assert verify("--auction", str(auction.pk)) == (True, "")
    assert "bid record intact" in capsys.readouterr().out
    assert verify() == (True, "")


def test_bi4_the_record_has_no_delete_or_update_path(auction):
    with pytest.raises(PermissionError):
        Bid.objects.filter(auction=auction).delete()
    with pytest.raises(PermissionError):
        Bid.objects.filter(auction=auction).update(amount=1)
    with pytest.raises(PermissionError):
        Bid.objects.filter(auction=auction).first().delete()


def test_bi4_an_altered_amount_is_detected(auction, capsys):
    raw_sql("UPDATE bidding_bid SET amount = %s WHERE auction_id = %s AND seq = 2", [99000, auction.pk])
    ok, _ = verify("--auction", str(auction.pk))
    assert not ok
    assert "bid seq 2 was altered" in capsys.readouterr().err


def test_bi4_an_altered_time_is_detected(auction, capsys):
    moved = Bid.objects.get(auction=auction, seq=3).received_at - timedelta(seconds=30)
    raw_sql("UPDATE bidding_bid SET received_at = %s WHERE auction_id = %s AND seq = 3", [moved, auction.pk])
    assert not verify()[0]
    assert "bid seq 3 was altered" in capsys.readouterr().err


def test_bi4_a_removed_row_is_detected(auction, capsys):
    raw_sql("DELETE FROM bidding_bid WHERE auction_id = %s AND seq = 2", [auction.pk])
    assert not verify()[0]
    err = capsys.readouterr().err
    assert "bid seq 3 found where 2 was expected" in err and "does not link" in err


def test_bi4_a_removed_last_row_is_detected_by_the_head_kept_on_the_round(auction, capsys):
    raw_sql("UPDATE auctions_auction SET leading_bid_id = NULL WHERE id = %s", [auction.pk])
    raw_sql("DELETE FROM bidding_bid WHERE auction_id = %s AND seq = 4", [auction.pk])
    assert not verify()[0]
    assert "head kept on the round" in capsys.readouterr().err


def test_bi4_an_inserted_row_with_a_consistent_hash_is_detected(auction, capsys):
    last = Bid.objects.get(auction=auction, seq=4)
    forged_hash = bidlog.bid_hash(auction.pk, 5, "A9999", last.amount.amount + 1000, last.received_at, last.hash)
    raw_sql(
        "INSERT INTO bidding_bid (auction_id, registration_id, seq, amount, amount_currency, received_at,"
        " is_priority, client_bid_id, prev_hash, hash) VALUES (%s, %s, 5, %s, 'CNY', %s, %s, '', %s, %s)",
        [auction.pk, last.registration_id, last.amount.amount + 1000, last.received_at, False, last.hash, forged_hash],
    )
    assert not verify()[0]
    err = capsys.readouterr().err
    assert "head kept on the round" in err and "counts 4 bids" in err


def test_bi4_a_rewritten_chain_of_a_closed_round_differs_from_the_published_final_hash(auction, capsys):
    with clock.frozen(auction.ends_at):
        lifecycle.do_close_auction(auction.pk)
    # Rewrite the last bid consistently (its own hash) and the head on the round: only the hash
    # published at the close still tells.
    last = Bid.objects.get(auction=auction, seq=4)
    forged = bidlog.bid_hash(
        auction.pk, 4, last.registration.code, last.amount.amount + 5000, last.received_at, last.prev_hash
    )
    raw_sql("UPDATE bidding_bid SET amount = %s, hash = %s WHERE id = %s", [last.amount.amount + 5000, forged, last.pk])
    raw_sql("UPDATE auctions_auction SET bid_log_head = %s WHERE id = %s", [forged, auction.pk])
    assert not verify("--auction", str(auction.pk))[0]
    assert "final hash published at the close" in capsys.readouterr().err


def test_verify_of_an_unknown_round_fails(db):
    with pytest.raises(CommandError):
        call_command("verify_bid_log", "--auction", "31337")


def test_bi4_the_chain_commits_to_the_round_the_code_and_the_time(auction):
    other_round = make_round(factories.make_lot(auction.lot.case))
    assert bidlog.genesis_hash(auction.pk) != bidlog.genesis_hash(other_round.pk)
    base = (auction.pk, 1, "A0001", 80000, NOW, bidlog.genesis_hash(auction.pk))
    variants = [
        (other_round.pk, *base[1:]),
        (base[0], 2, *base[2:]),
        (*base[:2], "A0002", *base[3:]),
        (*base[:4], NOW + timedelta(milliseconds=1), base[5]),
    ]
    hashes = {bidlog.bid_hash(*fields) for fields in [base, *variants]}
    assert len(hashes) == 5
