"""The bid service (`bidding.services.check_place_bid`) at the boundaries of every rule it applies:
PR4, BD1–BD5, BI1, BI2 by the server's receive time, idempotency, and nothing written on refusal.

Personas: alice (registered, deposit secured), bob (registered, no deposit), charlie (outsider),
dave (a second secured bidder), pat (a priority-right holder)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from auctions.models import Auction, AuctionEvent
from bidding import bidlog, services
from bidding.errors import BidError
from bidding.models import Bid
from lots.models import DisposalRecord
from tests import factories
from tests.test_bidding_support import (
    NOW,
    applicant_creditor,
    before_end,
    bid,
    bidder,
    frozen_now,  # noqa: F401  (fixture)
    make_round,
    written,
)

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def auction(lot):
    return make_round(lot)  # start ¥80,000, increment ¥1,000, live, ends NOW + 24 h


@pytest.fixture
def alice(auction):
    return bidder(auction, "alice")


@pytest.fixture
def bob(auction):
    return bidder(auction, "bob", secured=False)


@pytest.fixture
def dave(auction):
    return bidder(auction, "dave")


def refused(code: str, *args, **kwargs) -> BidError:
    with pytest.raises(BidError) as caught:
        bid(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_frame()
    return caught.value


# --- PR4 --------------------------------------------------------------------------------------
def test_pr4_first_bid_at_the_starting_price_is_accepted(auction, alice):
    result = bid(alice, auction, "80000.00")
    auction.refresh_from_db()
    assert (result.bid_seq, result.amount) == (1, Decimal("80000.00"))
    assert auction.current_price.amount == Decimal("80000.00")
    assert auction.leading_bid.registration.user == alice
    assert auction.bid_count == 1 and auction.ends_at == NOW + timedelta(hours=24)


def test_pr4_first_bid_may_be_start_plus_whole_increments(auction, alice):
    assert bid(alice, auction, "83000").amount == Decimal("83000.00")


def test_pr4_first_bid_below_the_start_is_too_low(auction, alice):
    error = refused("too_low", alice, auction, "79999.99")
    assert error.rule == "PR4" and error.data["minimum"] == "80000.00"


def test_pr4_later_bid_must_exceed_the_current_price_by_an_increment(auction, alice, dave):
    bid(alice, auction, "80000.00")
    refused("too_low", dave, auction, "80000.00")
    refused("not_a_multiple", dave, auction, "81500.00")
    assert bid(dave, auction, "82000.00").amount == Decimal("82000.00")


@pytest.mark.parametrize(
    "raw", ["-81000", "0", "abc", "", "81000.001", "1e400", "NaN", "Infinity", 81000.0, None, [], {}]
)
def test_pr4_malformed_amounts_are_invalid(auction, alice, raw):
    before = written(auction)
    error = refused("invalid_amount", alice, auction, raw)
    assert error.rule == "PR4"
    assert written(auction) == before


def test_pr4_absurdly_large_amount_is_invalid(auction, alice):
    refused("invalid_amount", alice, auction, "1" + "0" * 20)


def test_pr4_leader_may_not_outbid_themselves(auction, alice):
    bid(alice, auction, "80000")
    refused("already_leading", alice, auction, "81000")


# --- BI1 / BI2: the server's receive time decides ---------------------------------------------
def announced_round(case) -> tuple:
    auction = make_round(factories.make_lot(case), status=Auction.Status.ANNOUNCED, starts_in=timedelta(hours=1))
    return auction, bidder(auction, "early")


def test_bi1_bid_before_the_start_is_refused(case):
    auction, alice = announced_round(case)
    refused("auction_not_started", alice, auction, "80000", at=auction.starts_at - timedelta(milliseconds=1))


def test_bi1_first_bid_inside_the_period_opens_a_round_the_clock_has_not(case):
    """The clock worker is late: time decides, so the bid opens the round, "started" first."""
    auction, alice = announced_round(case)
    bid(alice, auction, "80000", at=auction.starts_at)
    auction.refresh_from_db()
    assert auction.status == Auction.Status.LIVE
    kinds = list(AuctionEvent.objects.filter(auction=auction).order_by("seq").values_list("seq", "kind"))
    assert kinds == [(1, "started"), (2, "bid")]
    assert DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.ROUND_STARTED).count() == 1


def test_bi2_bid_exactly_5_minutes_before_the_end_keeps_the_end(auction, alice):
    end = auction.ends_at
    bid(alice, auction, "80000", at=before_end(auction, minutes=5))
    auction.refresh_from_db()
    assert auction.ends_at == end and auction.extension_count == 0
    assert not DisposalRecord.objects.filter(kind=DisposalRecord.Kind.ROUND_EXTENDED).exists()


def test_bi2_bid_4_59_before_the_end_extends_to_receive_time_plus_5_minutes(auction, alice):
    received = before_end(auction, minutes=4, seconds=59)
    bid(alice, auction, "80000", at=received)
    auction.refresh_from_db()
    assert auction.ends_at == received + timedelta(minutes=5)
    assert auction.extension_count == 1
    record = DisposalRecord.objects.get(auction=auction, kind=DisposalRecord.Kind.ROUND_EXTENDED)
    assert record.amount.amount == Decimal("80000.00") and record.detail["extension_count"] == 1
    event = AuctionEvent.objects.get(auction=auction, kind="bid")
    assert event.payload["extended"] is True and event.payload["extension_count"] == 1


def test_bi2_bid_at_the_end_is_refused(auction, alice):
    before = written(auction)
    error = refused("auction_closed", alice, auction, "80000", at=auction.ends_at)
    assert error.rule == "BI2"
    assert written(auction) == before


def test_bi2_bid_after_the_end_is_refused_even_before_the_clock_closes(auction, alice):
    assert auction.status == Auction.Status.LIVE
    refused("auction_closed", alice, auction, "80000", at=auction.ends_at + timedelta(milliseconds=1))


def test_bi2_a_chain_of_extensions_has_no_limit(auction, alice, dave):
    received = before_end(auction, minutes=1)
    amounts = ["80000", "81000", "82000", "83000", "84000"]
    for number, (amount, who) in enumerate(zip(amounts, [alice, dave] * 3, strict=False), start=1):
        bid(who, auction, amount, at=received)
        auction.refresh_from_db()
        assert auction.ends_at == received + timedelta(minutes=5)
        assert auction.extension_count == number
        received = auction.ends_at - timedelta(seconds=10)  # the next bid, 10 s before the new end
    refused("auction_closed", alice, auction, "85000", at=auction.ends_at)
    assert DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.ROUND_EXTENDED).count() == 5


def test_bi2_receive_times_are_kept_to_the_millisecond(auction, alice):
    received = NOW + timedelta(microseconds=123_456)
    result = bid(alice, auction, "80000", at=received)
    assert result.received_at == NOW + timedelta(milliseconds=123)
    assert Bid.objects.get(auction=auction).received_at == result.received_at


def test_fa4_suspended_round_refuses_bids(auction, alice):
    Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.SUSPENDED)
    assert refused("auction_suspended", alice, auction, "80000").rule == "FA4"


# --- BD1–BD5 ----------------------------------------------------------------------------------
def test_bd1_registered_bidder_without_a_deposit_is_refused(auction, bob):
    before = written(auction)
    assert refused("deposit_missing", bob, auction, "80000").rule == "BD1"
    assert written(auction) == before


def test_bd1_outsider_without_registration_is_refused(auction, charlie):
    refused("not_registered", charlie, auction, "80000")


def test_bd1_anonymous_user_is_refused(auction):
    refused("not_authenticated", AnonymousUser(), auction, "80000")


def test_unknown_or_unpublished_round_is_not_found(case, alice):
    draft = make_round(factories.make_lot(case), status=Auction.Status.DRAFT, starting_price=90_000)
    refused("not_found", alice, draft, "90000")
    with pytest.raises(BidError) as caught:
        services.check_place_bid(alice, 999_999, "80000", "")
    assert caught.value.code == "not_found"


def test_bd2_applicant_creditor_bids_without_a_deposit(auction, case):
    applicant = applicant_creditor(case, 500_000)
    registration = services.register_bidder(applicant, auction.pk, accept_terms=True)
    assert registration.is_applicant and registration.deposit.status == "secured"
    assert bid(applicant, auction, "80000").code == registration.code


def test_bd4_barred_bidder_is_refused_at_registration_not_at_the_bid(auction, case):
    """BD4 is decided when registering (tests/test_bidding_registration.py); a barred person
    therefore has no registration and cannot bid."""
    debtor = factories.make_bidder("debtor")
    case.parties.create(role="respondent", name="被执行人", id_number_hash=debtor.bidder.id_number_hash)
    with pytest.raises(BidError) as caught:
        services.register_bidder(debtor, auction.pk, accept_terms=True)
    assert caught.value.rule == "BD4"
    refused("not_registered", debtor, auction, "80000")


def test_bd5_priority_holder_may_match_the_highest_bid_and_leads(auction, alice):
    pat = bidder(auction, "pat", priority_rank=1)
    bid(alice, auction, "81000")
    result = bid(pat, auction, "81000")
    auction.refresh_from_db()
    assert auction.leading_bid.seq == result.bid_seq and auction.leading_bid.is_priority
    # An ordinary bidder must now go one increment higher; matching is not theirs to do.
    refused("too_low", alice, auction, "81000")
    assert bid(alice, auction, "82000").amount == Decimal("82000.00")


def test_bd5_higher_rank_beats_lower_rank_at_equal_price(auction, alice):
    first, second = bidder(auction, "first", priority_rank=1), bidder(auction, "second", priority_rank=2)
    bid(alice, auction, "81000")
    bid(second, auction, "81000")
    bid(first, auction, "81000")  # rank 1 matches rank 2 and leads
    refused("too_low", second, auction, "81000")  # rank 2 cannot take it back by matching


def test_bd5_same_rank_cannot_match_the_earlier_bid(auction):
    one, other = bidder(auction, "one", priority_rank=1), bidder(auction, "other", priority_rank=1)
    bid(one, auction, "81000")
    refused("too_low", other, auction, "81000")


def test_bd5_priority_holder_with_no_bid_to_match_bids_from_the_start(auction):
    pat = bidder(auction, "pat", priority_rank=1)
    refused("too_low", pat, auction, "79000")
    assert bid(pat, auction, "80000").amount == Decimal("80000.00")


# --- Idempotency, refusals, the record --------------------------------------------------------
def test_repeated_client_bid_id_returns_the_first_result_and_writes_nothing(auction, alice):
    first = bid(alice, auction, "80000", client_bid_id="c-1")
    before = written(auction)
    again = bid(alice, auction, "99000", client_bid_id="c-1")
    assert again.duplicate and not first.duplicate
    assert (again.seq, again.bid_seq, again.amount) == (first.seq, first.bid_seq, first.amount)
    assert again.ack_frame()["bid"] == first.ack_frame()["bid"]
    assert written(auction) == before


def test_the_same_client_bid_id_of_another_bidder_is_another_bid(auction, alice, dave):
    bid(alice, auction, "80000", client_bid_id="same")
    assert not bid(dave, auction, "81000", client_bid_id="same").duplicate
    assert Bid.objects.filter(auction=auction).count() == 2


def test_accepted_bids_form_a_hash_chain(auction, alice, dave):
    for amount, who in [("80000", alice), ("81000", dave), ("82000", alice)]:
        bid(who, auction, amount)
    bids = list(Bid.objects.filter(auction=auction).order_by("seq"))
    assert bids[0].prev_hash == bidlog.genesis_hash(auction.pk)
    assert [b.prev_hash for b in bids[1:]] == [b.hash for b in bids[:-1]]
    auction.refresh_from_db()
    assert auction.bid_log_head == bids[-1].hash
    assert bidlog.verify_round(auction) == []


def test_bi2_bid_data_and_event_sequence(auction, alice, dave):
    one, two = bid(alice, auction, "80000"), bid(dave, auction, "81000")
    assert (one.seq, two.seq) == (1, 2)
    event = AuctionEvent.objects.get(auction=auction, seq=2)
    assert event.kind == "bid"
    assert event.payload == {
        "seq": 2,
        "code": two.code,
        "amount": "81000.00",
        "received_at": "2026-03-02T02:00:00.000+00:00",
        "current_price": "81000.00",
        "ends_at": "2026-03-03T02:00:00.000+00:00",
        "extended": False,
        "bid_count": 2,
        "extension_count": 0,
        "priority": False,
    }


def test_rate_limit_per_user_refuses_a_flood_and_writes_nothing(auction, alice, dave, monkeypatch):
    monkeypatch.setattr("bidding.ratelimit.wall_time", lambda: 1_000_000.5)  # one window throughout
    bid(alice, auction, "80000")
    for _ in range(4):
        refused("already_leading", alice, auction, "90000")  # refusals count as attempts too
    before = written(auction)
    error = refused("rate_limited", alice, auction, "81000")
    assert float(error.data["retry_after"]) <= 1
    assert written(auction) == before
    assert bid(dave, auction, "81000").bid_seq == 2  # others are not limited by alice's flood


# --- After commit only ------------------------------------------------------------------------
def test_events_are_sent_only_after_commit_with_consecutive_seq(
    auction, alice, dave, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("bidding.events.publish_rollback_unsafe", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bid(alice, auction, "80000")
        bid(dave, auction, "81000", at=before_end(auction, minutes=1))
        assert sent == []  # nothing leaves before the commit
    # Besides the two broadcasts: the extension's disposal record and the round-event signal,
    # each also after commit.
    broadcasts = [c for c in callbacks if c.__qualname__.startswith("send_event_on_commit")]
    assert len(broadcasts) == 2
    for callback in broadcasts:
        callback()
    assert [(auction_id, seq) for auction_id, seq, _text in sent] == [(auction.pk, 1), (auction.pk, 2)]
    assert '"extended":true' in sent[1][2]


@pytest.mark.parametrize(
    ("who", "amount", "round_change", "code"),
    [
        ("anonymous", "81000", {}, "not_authenticated"),
        ("charlie", "81000", {}, "not_registered"),
        ("bob", "81000", {}, "deposit_missing"),
        ("alice", "90000", {}, "already_leading"),
        ("dave", "80000", {}, "too_low"),
        ("dave", "81500", {}, "not_a_multiple"),
        ("dave", "-1", {}, "invalid_amount"),
        ("dave", "81000", {"status": Auction.Status.SUSPENDED}, "auction_suspended"),
        ("dave", "81000", {"status": Auction.Status.SOLD}, "auction_closed"),
        ("dave", "81000", {"ends_at": NOW}, "auction_closed"),
        ("dave", "81000", {"starts_at": NOW + timedelta(seconds=1)}, "auction_not_started"),
        ("dave", "81000", {"status": Auction.Status.DRAFT}, "not_found"),
    ],
)
def test_nothing_is_written_on_any_refusal(request, auction, alice, bob, dave, who, amount, round_change, code):
    bid(alice, auction, "80000", at=NOW - timedelta(minutes=1))
    Auction.objects.filter(pk=auction.pk).update(**round_change)
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    before = written(auction)
    refused(code, user, auction, amount)
    assert written(auction) == before


def test_a_refused_bid_sends_nothing(auction, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(BidError):
        bid(bob, auction, "80000")
    assert callbacks == []


# --- Ack after commit -------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)  # a real commit, so the on-commit broadcast really runs
def test_a_failed_broadcast_after_commit_still_acknowledges_the_stored_bid(auction, alice, monkeypatch, caplog):
    """The bid is durable once committed; a broadcast that fails afterwards is logged, and clients
    catch up from the event table on their next resync, so the bidder still gets the ack."""

    def broken_publish(*args):
        raise ConnectionError("broadcast unavailable")

    monkeypatch.setattr("bidding.events.publish_rollback_unsafe", broken_publish)
    result = bid(alice, auction, "80000.00")
    assert result.amount == Decimal("80000.00")
    assert Bid.objects.filter(auction=auction).count() == 1
    assert "broadcast unavailable" in caplog.text
