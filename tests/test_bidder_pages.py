"""Bidder pages: registration for a round (BD3, BD4), the sandbox deposit (BD1), "my auctions" and the
live panel's server-rendered part. Personas: alice (registered, deposit secured), bob (registered,
no deposit), charlie (outsider)."""

import hashlib
import json
import re

import pytest
from django.contrib.auth import get_user_model

from auctions.models import Announcement, Auction
from bidding.models import Bid, Registration
from lots.models import Party
from payments.models import Deposit
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()

ERROR_CODES = [
    "not_authenticated",
    "not_registered",
    "deposit_missing",
    "too_low",
    "not_a_multiple",
    "invalid_amount",
    "already_leading",
    "auction_not_started",
    "auction_closed",
    "auction_suspended",
    "rate_limited",
    "bad_message",
]


def published(auction):
    """The round's announcement is out, so the public lot page shows it."""
    Announcement.objects.create(auction=auction, publish_at=auction.announce_at, published_at=auction.announce_at)
    return auction


def has_money(page: str, yuan: str) -> bool:
    """¥80,000.00 or ¥80000.00: grouping follows the active locale's number format."""
    return re.search("¥" + yuan.replace(",", ",?").replace(".", r"\."), page) is not None


def register_url(auction) -> str:
    return f"/auctions/{auction.pk}/register/"


def record_bid(auction, registration, amount) -> Bid:
    """An accepted bid as the engine leaves it: the row, the round's price and leader."""
    seq = auction.bids.count() + 1
    bid = Bid.objects.create(
        auction=auction,
        registration=registration,
        seq=seq,
        amount=factories.cny(amount),
        received_at=auction.starts_at,
        prev_hash="0" * 64,
        hash=hashlib.sha256(f"{auction.pk}:{seq}".encode()).hexdigest(),
    )
    Auction.objects.filter(pk=auction.pk).update(leading_bid=bid, current_price=factories.cny(amount), bid_count=seq)
    return bid


# --- Registration ---------------------------------------------------------------------------
def test_register_page_needs_login(client, live_auction):
    response = client.get(register_url(live_auction))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_register_page_shows_key_terms_and_bidder_instructions(client, live_auction, charlie):
    client.force_login(charlie)
    page = client.get(register_url(live_auction)).content.decode()

    assert has_money(page, "80,000.00") and has_money(page, "1,000.00") and has_money(page, "10,000.00")
    assert "竞买须知" in page and "BI2" in page
    assert 'name="accept_terms"' in page


def test_an3_register_without_accepting_the_terms_saves_nothing(client, live_auction, charlie):
    client.force_login(charlie)
    response = client.post(register_url(live_auction), {})

    assert response.status_code == 200
    assert "请先阅读并勾选" in response.content.decode()
    assert not Registration.objects.filter(user=charlie).exists()


def test_bd3_registration_shows_the_bidder_code_and_the_deposit_step(client, live_auction, charlie):
    client.force_login(charlie)
    response = client.post(register_url(live_auction), {"accept_terms": "on"})
    assert response.status_code == 302

    registration = Registration.objects.get(user=charlie, auction=live_auction)
    page = client.get(register_url(live_auction)).content.decode()
    assert registration.code in page
    assert registration.deposit.status == Deposit.Status.PENDING
    assert f"/me/deposits/{registration.deposit.pk}/sandbox-pay/" in page


def test_registering_twice_keeps_one_registration(client, live_auction, alice):
    client.force_login(alice)
    response = client.post(register_url(live_auction), {"accept_terms": "on"})

    assert response.status_code == 200
    assert Registration.objects.filter(user=alice, auction=live_auction).count() == 1
    assert "A0001" in response.content.decode()


def test_bd4_respondent_debtor_is_refused_with_the_reason_and_rule(client, live_auction, charlie):
    Party.objects.create(
        case=live_auction.lot.case,
        role=Party.Role.RESPONDENT,
        name="查理",
        id_number_hash=charlie.bidder.id_number_hash,
        id_number_masked=charlie.bidder.id_number_masked,
    )
    client.force_login(charlie)
    response = client.post(register_url(live_auction), {"accept_terms": "on"})

    assert response.status_code == 403
    assert "BD4" in response.content.decode()
    assert not Registration.objects.filter(user=charlie).exists()
    assert not Deposit.objects.filter(registration__user=charlie).exists()


def test_account_without_real_name_profile_cannot_register(client, live_auction, clerk):
    client.force_login(clerk.user)
    page = client.get(register_url(live_auction)).content.decode()
    assert "未进行竞买人实名注册" in page and 'name="accept_terms"' not in page


def test_unpublished_round_has_no_registration_page(client, lot, charlie):
    draft = factories.make_auction(lot, status=Auction.Status.DRAFT)
    client.force_login(charlie)
    assert client.get(register_url(draft)).status_code == 404


def test_ended_round_takes_no_more_registrations(client, live_auction, charlie):
    Auction.objects.filter(pk=live_auction.pk).update(status=Auction.Status.FAILED)
    client.force_login(charlie)

    page = client.get(register_url(live_auction)).content.decode()
    assert "报名已截止" in page and 'name="accept_terms"' not in page
    response = client.post(register_url(live_auction), {"accept_terms": "on"})
    assert response.status_code == 403 and "BD1" in response.content.decode()
    assert not Registration.objects.filter(user=charlie).exists()


# --- Sandbox deposit ------------------------------------------------------------------------
def test_bd1_sandbox_pays_the_bidders_own_deposit(client, live_auction, bob):
    deposit = Deposit.objects.get(registration__user=bob)
    client.force_login(bob)
    response = client.post(f"/me/deposits/{deposit.pk}/sandbox-pay/")

    assert response.status_code == 302
    assert response["Location"] == register_url(live_auction)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SECURED


def test_sandbox_pay_of_someone_elses_deposit_is_404_and_changes_nothing(client, live_auction, bob, charlie):
    deposit = Deposit.objects.get(registration__user=bob)
    client.force_login(charlie)

    assert client.post(f"/me/deposits/{deposit.pk}/sandbox-pay/").status_code == 404
    assert client.post("/me/deposits/999999/sandbox-pay/").status_code == 404
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING


def test_sandbox_pay_needs_login_and_post(client, live_auction, bob):
    deposit = Deposit.objects.get(registration__user=bob)
    assert client.post(f"/me/deposits/{deposit.pk}/sandbox-pay/").status_code == 302
    client.force_login(bob)
    assert client.get(f"/me/deposits/{deposit.pk}/sandbox-pay/").status_code == 405
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING


def test_bd1_no_deposit_payment_after_bidding_ended(client, live_auction, bob):
    deposit = Deposit.objects.get(registration__user=bob)
    Auction.objects.filter(pk=live_auction.pk).update(status=Auction.Status.FAILED)
    client.force_login(bob)

    response = client.post(f"/me/deposits/{deposit.pk}/sandbox-pay/", follow=True)
    assert "BD1" in response.content.decode()
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PENDING


# --- My auctions ----------------------------------------------------------------------------
def test_my_auctions_shows_code_deposit_and_leading_or_outbid(client, live_auction, alice, charlie):
    charlie_registration = factories.register(live_auction, charlie, secured=True)
    record_bid(live_auction, charlie_registration, 80_000)
    record_bid(live_auction, alice.registrations.get(), 81_000)

    client.force_login(alice)
    alice_page = client.get("/me/").content.decode()
    client.force_login(charlie)
    charlie_page = client.get("/me/").content.decode()

    assert "A0001" in alice_page and "已冻结" in alice_page and has_money(alice_page, "81,000.00")
    assert "standing-leading" in alice_page
    assert charlie_registration.code in charlie_page and "standing-outbid" in charlie_page


def test_my_auctions_shows_won_and_lost_after_the_close(client, live_auction, alice, charlie):
    charlie_registration = factories.register(live_auction, charlie, secured=True)
    record_bid(live_auction, charlie_registration, 80_000)
    record_bid(live_auction, alice.registrations.get(), 81_000)
    Auction.objects.filter(pk=live_auction.pk).update(status=Auction.Status.SOLD)

    client.force_login(alice)
    assert "standing-won" in client.get("/me/").content.decode()
    client.force_login(charlie)
    assert "standing-lost" in client.get("/me/").content.decode()


def test_my_auctions_offers_the_deposit_step_while_unpaid(client, live_auction, bob):
    client.force_login(bob)
    page = client.get("/me/").content.decode()
    assert "待支付" in page and register_url(live_auction) in page


def test_my_auctions_needs_login(client):
    assert client.get("/me/").status_code == 302


# --- Personal data never shown in full (AN5) ------------------------------------------------
def test_an5_signed_up_bidders_id_number_never_appears_in_their_pages(client, live_auction):
    id_number, phone = factories.valid_id_number(777), "13700001111"
    client.post(
        "/accounts/signup/",
        {
            "username": "zhaoliu",
            "real_name": "赵六",
            "id_number": id_number,
            "phone": phone,
            "password1": "Lot-bidder-2024!",
            "password2": "Lot-bidder-2024!",
        },
    )
    client.post(register_url(live_auction), {"accept_terms": "on"})

    assert Registration.objects.filter(user__username="zhaoliu").exists()
    me_page, register_page = (client.get(url).content.decode() for url in ("/me/", register_url(live_auction)))
    for page in (me_page, register_page):
        assert id_number not in page and phone not in page
    assert f"{id_number[:6]}********{id_number[-4:]}" in me_page  # only the masked form is shown


# --- Live panel, server-rendered part ---------------------------------------------------------
def panel_strings(page: str) -> dict:
    match = re.search(r'<script type="application/json" data-role="strings">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_live_panel_strings_are_valid_json_with_a_message_per_error_code(client, live_auction, language):
    client.cookies["django_language"] = language
    page = client.get(f"/auctions/{published(live_auction).pk}/").content.decode()

    strings = panel_strings(page)
    assert all(strings.get(f"err_{code}") for code in ERROR_CODES)
    assert all(strings.get(f"status_{value}") for value in Auction.Status.values)


def test_live_panel_is_watch_only_for_anonymous_visitors(client, live_auction):
    page = client.get(f"/auctions/{published(live_auction).pk}/").content.decode()

    assert 'id="live-panel"' in page and f'data-ws-path="/ws/auctions/{live_auction.pk}/"' in page
    assert f"/accounts/login/?next=/auctions/{live_auction.pk}/" in page
    assert 'aria-live="polite"' in page
