"""PD5: the steps after a sale are each recorded by the service that takes them, in its own
transaction, with their time, actor and amount: confirmation issued, deposit applied, balance
paid, proceeds in the court account, property delivered (ST1–ST3)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from auctions import clock, rules
from lots.models import DisposalRecord
from lots.signals import disposal_recorded
from notices import confirmations
from payments.models import Settlement
from tests.results_support import buyer_with_deposit, close_round, pay_balance
from tests.test_public_support import published_round

K = DisposalRecord.Kind


@pytest.fixture
def start():
    return clock.now().replace(microsecond=0)


@pytest.fixture
def sold(lot, start):
    auction = published_round(lot)
    user, registration = buyer_with_deposit(auction, "buyer_zhou", "周九")
    with clock.frozen(start):
        auction = close_round(auction, registration, 95_000)
    return auction, user


def entry(auction, kind) -> DisposalRecord:
    return DisposalRecord.objects.get(auction=auction, kind=kind)


def test_pd5_sale_steps_have_their_time_actor_and_amount(sold, start):
    auction, _user = sold
    applied, issued = entry(auction, K.DEPOSIT_APPLIED), entry(auction, K.CONFIRMATION_ISSUED)
    assert (applied.at, applied.actor, applied.actor_label, applied.amount.amount) == (start, None, "平台", 10_000)
    assert (issued.at, issued.actor, issued.actor_label, issued.amount.amount) == (start, None, "系统", 95_000)
    assert issued.case_id == auction.lot.case_id and issued.lot_id == auction.lot_id


def test_pd5_balance_paid_and_proceeds_received_recorded_by_the_payment(sold, start):
    auction, user = sold
    with clock.frozen(start + timedelta(days=2)):
        pay_balance(auction, user)
    paid, proceeds = entry(auction, K.BALANCE_PAID), entry(auction, K.PROCEEDS_RECEIVED)
    assert (paid.at, paid.actor, paid.actor_label, paid.amount.amount) == (
        start + timedelta(days=2),
        None,
        "平台",
        85_000,
    )
    assert paid.detail["provider"] == "sandbox" and paid.detail["payment"]
    assert (proceeds.at, proceeds.amount.amount) == (start + timedelta(days=2), 95_000)
    assert proceeds.detail == {"deposit_applied": "10000.00", "balance": "85000.00"}


def test_pd5_payment_steps_reach_the_disposal_recorded_signal_after_commit(sold, django_capture_on_commit_callbacks):
    auction, user = sold
    seen = []

    def receiver(sender, record, **kwargs):
        seen.append(record.kind)

    disposal_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            pay_balance(auction, user)
        assert seen == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        disposal_recorded.disconnect(receiver)
    assert [kind for kind in seen if kind in (K.BALANCE_PAID, K.PROCEEDS_RECEIVED)] == [
        K.BALANCE_PAID,
        K.PROCEEDS_RECEIVED,
    ]


def test_st3_property_delivered_from_the_console_names_the_clerk(client, clerk, sold, start):
    auction, user = sold
    client.force_login(clerk.user)
    url = f"/console/rounds/{auction.pk}/delivery/"
    with clock.frozen(start + timedelta(days=1)):
        refused = client.post(url, {"delivered_on": (start + timedelta(days=1)).date().isoformat()}, follow=True)
    assert "ST3" in refused.content.decode()
    assert not DisposalRecord.objects.filter(kind=K.PROPERTY_DELIVERED).exists()

    with clock.frozen(start + timedelta(days=2)):
        pay_balance(auction, user)
    with clock.frozen(start + timedelta(days=5)):
        day = (start + timedelta(days=5)).date()
        page = client.post(url, {"delivered_on": day.isoformat(), "note": "钥匙与登记资料已交付"}, follow=True)
    assert page.redirect_chain[-1][0] == f"/console/rounds/{auction.pk}/"
    delivered = entry(auction, K.PROPERTY_DELIVERED)
    assert (delivered.at, delivered.actor, delivered.actor_label) == (start + timedelta(days=5), clerk.user, clerk.name)
    assert delivered.amount.amount == 95_000
    assert delivered.detail["delivered_on"] == day.isoformat() and delivered.detail["note"] == "钥匙与登记资料已交付"
    assert "钥匙与登记资料已交付" in page.content.decode()


def test_st3_delivery_refusals_record_nothing(client, clerk, clerk_b, sold, start):
    auction, user = sold
    with clock.frozen(start + timedelta(days=1)):
        pay_balance(auction, user)
    today = rules.court_date(start + timedelta(days=1))  # the court's calendar day, not UTC's
    client.force_login(clerk_b.user)
    assert client.post(f"/console/rounds/{auction.pk}/delivery/", {"delivered_on": today}).status_code == 404
    with clock.frozen(start + timedelta(days=1)):
        for bad in (today + timedelta(days=1), today - timedelta(days=3)):
            with pytest.raises(ValidationError) as refused:
                confirmations.record_delivery(auction, clerk.user, delivered_on=bad)
            assert "delivered_on" in refused.value.message_dict
        with pytest.raises(ValidationError):
            confirmations.record_delivery(auction, clerk_b.user, delivered_on=today)
        with pytest.raises(ValidationError):
            confirmations.record_delivery(auction, clerk.user, delivered_on=today, note="长" * 501)
        assert not DisposalRecord.objects.filter(kind=K.PROPERTY_DELIVERED).exists()
        confirmations.record_delivery(auction, clerk.user, delivered_on=today)
        with pytest.raises(ValidationError) as twice:
            confirmations.record_delivery(auction, clerk.user, delivered_on=today)
    assert twice.value.message_dict["__all__"]
    assert DisposalRecord.objects.filter(kind=K.PROPERTY_DELIVERED).count() == 1


def test_st3_no_delivery_for_a_failed_round(clerk, live_auction):
    auction = close_round(live_auction)
    with pytest.raises(ValidationError) as refused:
        confirmations.record_delivery(auction, clerk.user, delivered_on=clock.now().date())
    assert "ST3" in str(refused.value)
    assert Settlement.objects.get(auction=auction).status == Settlement.Status.NO_SALE


def test_pd5_balance_by_bank_transfer_names_the_clerk_who_matched_it(sold, start, clerk):
    from payments import services as payments

    auction, user = sold
    settlement = Settlement.objects.get(auction=auction)
    with clock.frozen(start + timedelta(days=3)):
        payment = payments.start_balance_payment(settlement.pk, user, "bank", "85000.00", "CNY")
        payments.confirm_bank_transfer(payment.pk, clerk.user, "85000.00", "ICBC-0001")
    paid = entry(auction, K.BALANCE_PAID)
    assert (paid.at, paid.actor, paid.amount.amount) == (start + timedelta(days=3), clerk.user, 85_000)
    assert paid.actor_label == str(clerk) and paid.detail["provider"] == "bank"
