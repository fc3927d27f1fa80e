"""The payment pages: a bidder's deposits, refunds, amounts owed and receipts; the court's deposits,
transfer confirmations, defaults, totals and CSV. Personas: bob (pending deposit), charlie
(outsider), clerk (this court), clerk_b (another court)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from auctions import clock
from payments import services, worker
from payments.models import Deposit, LedgerTransaction, Payment, Settlement
from tests import factories
from tests.test_payments_support import close_round, paid_bidder


@pytest.fixture
def bob_deposit(bob):
    return Deposit.objects.get(registration__user=bob)


def login(client, user):
    client.force_login(user)
    return client


def pay_url(deposit):
    return reverse("payments:pay_deposit", args=[deposit.pk])


def test_anonymous_is_sent_to_login(client, bob_deposit):
    response = client.get(pay_url(bob_deposit))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bd1_bidder_pays_a_deposit_in_one_click(client, bob, bob_deposit):
    login(client, bob)
    page = client.get(pay_url(bob_deposit))
    assert page.status_code == 200
    assert "演示支付（沙箱）" in page.content.decode() and "银行转账" in page.content.decode()
    response = client.post(pay_url(bob_deposit), {"provider": "sandbox", "amount": "10000.00", "currency": "CNY"})
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:payment", args=[payment.pk])
    bob_deposit.refresh_from_db()
    assert bob_deposit.status == Deposit.Status.SECURED
    detail = client.get(response["Location"]).content.decode()
    assert "款项已到账" in detail and payment.reference in detail


def test_tampered_amount_is_refused_with_a_clear_error(client, bob, bob_deposit):
    login(client, bob)
    response = client.post(pay_url(bob_deposit), {"provider": "sandbox", "amount": "1.00", "currency": "CNY"})
    assert response.status_code == 400
    assert "金额应为 ¥10,000.00" in response.content.decode()
    assert not Payment.objects.exists()


def test_wrong_currency_is_refused(client, bob, bob_deposit):
    login(client, bob)
    response = client.post(pay_url(bob_deposit), {"provider": "sandbox", "amount": "10000.00", "currency": "USD"})
    assert response.status_code == 400 and "币种须为人民币" in response.content.decode()


def test_unknown_provider_is_a_field_error(client, bob, bob_deposit):
    login(client, bob)
    response = client.post(pay_url(bob_deposit), {"provider": "paypal", "amount": "10000.00", "currency": "CNY"})
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_someone_elses_deposit_is_404(client, charlie, bob_deposit):
    login(client, charlie)
    assert client.get(pay_url(bob_deposit)).status_code == 404
    response = client.post(pay_url(bob_deposit), {"provider": "sandbox", "amount": "10000.00", "currency": "CNY"})
    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_paying_after_the_end_shows_the_rule(client, bob, bob_deposit):
    login(client, bob)
    with clock.travel(timedelta(hours=25)):
        response = client.post(pay_url(bob_deposit), {"provider": "sandbox", "amount": "10000.00", "currency": "CNY"})
    assert response.status_code == 400 and "BD1：竞价已结束" in response.content.decode()


def test_demo_switch_makes_the_payment_fail(client, bob, bob_deposit):
    login(client, bob)
    data = {"provider": "sandbox", "amount": "10000.00", "currency": "CNY", "decline": "on"}
    response = client.post(pay_url(bob_deposit), data, follow=True)
    assert "支付失败，未扣款" in response.content.decode()
    bob_deposit.refresh_from_db()
    assert bob_deposit.status == Deposit.Status.PENDING


def test_bank_transfer_page_shows_the_reference(client, bob, bob_deposit):
    login(client, bob)
    response = client.post(
        pay_url(bob_deposit), {"provider": "bank", "amount": "10000.00", "currency": "CNY"}, follow=True
    )
    payment = Payment.objects.get()
    assert payment.reference in response.content.decode() and "转账附言" in response.content.decode()


def test_other_users_payment_and_receipt_are_404(client, bob, bob_deposit, charlie):
    payment = services.start_deposit_payment(bob_deposit.pk, bob, "sandbox", "10000.00", "CNY")
    login(client, charlie)
    assert client.get(reverse("payments:payment", args=[payment.pk])).status_code == 404
    assert client.get(reverse("payments:receipt", args=[payment.reference])).status_code == 404
    assert client.post(reverse("payments:payment_refresh", args=[payment.pk])).status_code == 404
    login(client, bob)
    receipt = client.get(reverse("payments:receipt", args=[payment.reference]))
    assert receipt.status_code == 200 and "付款凭证" in receipt.content.decode()


def test_mine_shows_refund_to_losers_and_balance_to_the_winner(client, live_auction):
    winner_user, winner, _ = paid_bidder(live_auction, "kai")
    loser_user, *_ = paid_bidder(live_auction, "lin")
    close_round(live_auction, winner, 90_000)
    worker.run_once()
    loser_page = login(client, loser_user).get(reverse("payments:mine")).content.decode()
    assert "已退还" in loser_page and "¥10,000.00" in loser_page
    winner_page = login(client, winner_user).get(reverse("payments:mine")).content.decode()
    assert "应付尾款" in winner_page and "¥80,000.00" in winner_page
    assert reverse("payments:pay_balance", args=[Settlement.objects.get().pk]) in winner_page


def test_winner_pays_the_balance_from_the_page(client, live_auction):
    user, winner, _ = paid_bidder(live_auction, "mei")
    close_round(live_auction, winner, 90_000)
    s = Settlement.objects.get()
    login(client, user)
    url = reverse("payments:pay_balance", args=[s.pk])
    response = client.post(url, {"provider": "sandbox", "amount": "80000.00", "currency": "CNY"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.status == Settlement.Status.PAID


# --- The court's pages -------------------------------------------------------------------------
def test_court_pages_need_court_staff(client, charlie, live_auction):
    login(client, charlie)
    assert client.get(reverse("payments:court_index")).status_code == 403


def test_other_courts_auction_is_404(client, clerk_b, live_auction):
    login(client, clerk_b.user)
    assert client.get(reverse("payments:court_auction", args=[live_auction.pk])).status_code == 404
    assert client.get(reverse("payments:court_auction_csv", args=[live_auction.pk])).status_code == 404


def test_bd3_court_sees_codes_only_until_the_end_then_names(client, clerk, live_auction):
    user, registration, _ = paid_bidder(live_auction, "nan")
    login(client, clerk.user)
    url = reverse("payments:court_auction", args=[live_auction.pk])
    during = client.get(url).content.decode()
    assert registration.code in during and "nan" not in during
    close_round(live_auction, registration, 80_000)
    after = client.get(url).content.decode()
    assert user.bidder.id_number_masked in after
    assert user.bidder.id_number_masked.replace("*", "") != user.bidder.id_number_masked


def test_court_index_totals_and_csv_export(client, clerk, live_auction):
    _, winner, _ = paid_bidder(live_auction, "ola")
    paid_bidder(live_auction, "pia")
    close_round(live_auction, winner, 90_000)
    worker.run_once()
    login(client, clerk.user)
    index = client.get(reverse("payments:court_index")).content.decode()
    assert "¥20,000.00" in index and "¥10,000.00" in index  # paid in, refunded, held as price
    response = client.get(reverse("payments:court_auction_csv", args=[live_auction.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "竞买号" and len(rows) == 3
    assert {row[2] for row in rows[1:]} == {"已抵作价款", "已退还"}


def test_clerk_confirms_a_bank_transfer_with_field_errors_first(client, clerk, bob, bob_deposit):
    payment = services.start_deposit_payment(bob_deposit.pk, bob, "bank", "10000.00", "CNY")
    login(client, clerk.user)
    url = reverse("payments:confirm_transfer", args=[payment.pk])
    wrong = client.post(url, {f"p{payment.pk}-amount": "100.00", f"p{payment.pk}-bank_ref": "B-9"})
    assert wrong.status_code == 400 and "金额应为 ¥10,000.00" in wrong.content.decode()
    ok = client.post(url, {f"p{payment.pk}-amount": "10000.00", f"p{payment.pk}-bank_ref": "B-9"})
    assert ok.status_code == 302
    bob_deposit.refresh_from_db()
    assert bob_deposit.status == Deposit.Status.SECURED


def test_other_courts_clerk_cannot_confirm_a_transfer(client, clerk_b, bob, bob_deposit):
    payment = services.start_deposit_payment(bob_deposit.pk, bob, "bank", "10000.00", "CNY")
    login(client, clerk_b.user)
    url = reverse("payments:confirm_transfer", args=[payment.pk])
    response = client.post(url, {f"p{payment.pk}-amount": "10000.00", f"p{payment.pk}-bank_ref": "B-9"})
    assert response.status_code == 404
    assert not LedgerTransaction.objects.exists()


def test_st4_court_confirms_a_default_on_its_page(client, clerk, live_auction):
    _, winner, deposit = paid_bidder(live_auction, "qiu")
    close_round(live_auction, winner, 90_000)
    s = Settlement.objects.get()
    login(client, clerk.user)
    url = reverse("payments:court_default", args=[s.pk])
    data = {"resale_costs": "2000", "shortfall": "", "debt": "5000", "reason": "逾期未付"}
    early = client.post(url, data)
    assert early.status_code == 400 and "ST4" in early.content.decode()
    with clock.travel(timedelta(days=11)):
        assert client.post(url, data).status_code == 302
        page = client.get(reverse("payments:court_forfeitures")).content.decode()
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.FORFEITED
    assert "¥2,000.00" in page and "¥3,000.00" in page  # costs, and the remainder after the debt


def test_forfeiture_amounts_must_be_amounts(client, clerk, live_auction):
    _, winner, _ = paid_bidder(live_auction, "ren")
    close_round(live_auction, winner, 90_000)
    s = Settlement.objects.get()
    login(client, clerk.user)
    with clock.travel(timedelta(days=11)):
        response = client.post(
            reverse("payments:court_default", args=[s.pk]),
            {"resale_costs": "-5", "shortfall": "", "debt": "", "reason": "x"},
        )
    assert response.status_code == 400 and "金额须为正数" in response.content.decode()
    assert Settlement.objects.get().status == Settlement.Status.AWAITING_BALANCE


def test_bank_refund_executed_by_the_clerk(client, clerk, live_auction):
    user = factories.make_bidder("sun", "孙")
    deposit = factories.register(live_auction, user, secured=False).deposit
    payment = services.start_deposit_payment(deposit.pk, user, "bank", "10000.00", "CNY")
    services.confirm_bank_transfer(payment.pk, clerk.user, "10000.00", "IN-1")
    close_round(live_auction)
    worker.run_once()
    login(client, clerk.user)
    page = client.get(reverse("payments:court_transfers")).content.decode()
    assert "待执行的保证金退款" in page and payment.reference in page
    refund = deposit.refund
    response = client.post(reverse("payments:confirm_refund", args=[refund.pk]), {f"r{refund.pk}-bank_ref": "OUT-1"})
    assert response.status_code == 302
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.RELEASED
