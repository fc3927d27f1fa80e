"""Every staff view of a bidder's identity lands in the audit log (issue 8, PD1, AN5): the court's
deposits page and CSV after the end (BD3) write one row per bidder shown, the console lists a
court's own rows only, and nobody can change them through the admin."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from auctions.models import Auction
from bidding.models import IdentityView
from tests import factories

User = get_user_model()


@pytest.fixture
def ended_round(lot):
    auction = factories.make_auction(
        lot, status=Auction.Status.FAILED, starts_in=timedelta(days=-2), ends_in=timedelta(hours=-1)
    )
    alice = factories.make_bidder("alice", "艾丽丝")
    bob = factories.make_bidder("bob", "鲍勃")
    factories.register(auction, alice, secured=True)
    factories.register(auction, bob, secured=True)
    return auction, alice, bob


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_bd3_deposits_page_after_the_end_logs_each_bidder_shown(clerk, ended_round):
    auction, alice, bob = ended_round
    response = signed_in(clerk.user).get(f"/payments/court/auctions/{auction.pk}/")
    assert response.status_code == 200
    assert "艾丽丝" in response.content.decode()  # the identity is shown, so it must be logged
    rows = IdentityView.objects.filter(auction=auction)
    assert {row.subject for row in rows} == {alice, bob}
    assert {(row.actor, row.court, row.purpose) for row in rows} == {
        (clerk.user, clerk.court, IdentityView.Purpose.DEPOSITS_PAGE)
    }


def test_deposits_csv_export_is_logged_too(clerk, ended_round):
    auction, alice, bob = ended_round
    response = signed_in(clerk.user).get(f"/payments/court/auctions/{auction.pk}/deposits.csv")
    assert response.status_code == 200
    assert IdentityView.objects.filter(purpose=IdentityView.Purpose.DEPOSITS_CSV).count() == 2


def test_bd3_live_round_shows_codes_only_and_logs_nothing(clerk, alice, bob, live_auction):
    response = signed_in(clerk.user).get(f"/payments/court/auctions/{live_auction.pk}/")
    assert response.status_code == 200
    assert "艾丽丝" not in response.content.decode()
    assert not IdentityView.objects.exists()


def test_each_view_is_a_new_row(clerk, ended_round):
    auction, *_ = ended_round
    client = signed_in(clerk.user)
    client.get(f"/payments/court/auctions/{auction.pk}/")
    client.get(f"/payments/court/auctions/{auction.pk}/")
    assert IdentityView.objects.count() == 4


def test_console_audit_page_lists_own_court_entries_only(clerk, clerk_b, ended_round):
    auction, *_ = ended_round
    signed_in(clerk.user).get(f"/payments/court/auctions/{auction.pk}/")
    page_a = signed_in(clerk.user).get("/console/audit/")
    assert page_a.status_code == 200
    text = page_a.content.decode()
    assert auction.lot.title in text and "艾*" in text
    assert "艾丽丝" not in text  # the log names bidders in their masked form
    page_b = signed_in(clerk_b.user).get("/console/audit/")
    assert page_b.status_code == 200
    assert auction.lot.title not in page_b.content.decode()


def test_audit_page_refuses_non_staff(alice):
    assert signed_in(alice).get("/console/audit/").status_code == 403
    assert Client().get("/console/audit/").status_code == 302


def test_admin_cannot_change_or_delete_entries(clerk, ended_round, db):
    auction, *_ = ended_round
    signed_in(clerk.user).get(f"/payments/court/auctions/{auction.pk}/")
    entry = IdentityView.objects.first()
    root = User.objects.create_superuser("root", password="pw-root")
    client = signed_in(root)
    assert client.get("/admin/bidding/identityview/").status_code == 200
    assert client.post(f"/admin/bidding/identityview/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert IdentityView.objects.filter(pk=entry.pk).exists()


def test_admin_bidder_profile_page_is_logged(alice):
    root = User.objects.create_superuser("root", password="pw-root")
    response = signed_in(root).get(f"/admin/bidding/bidderprofile/{alice.bidder.pk}/change/")
    assert response.status_code == 200 and "艾丽丝" in response.content.decode()
    entry = IdentityView.objects.get()
    assert (entry.actor, entry.subject, entry.purpose, entry.court) == (
        root,
        alice,
        IdentityView.Purpose.ADMIN_PROFILE,
        None,
    )


def test_st1_court_full_confirmation_copy_is_logged(clerk, live_auction):
    from auctions import clock
    from tests.results_support import buyer_with_deposit, close_round

    buyer, registration = buyer_with_deposit(live_auction, "buyer_li", "李四海")
    with clock.frozen(clock.now()):
        close_round(live_auction, registration, 95_000)
    response = signed_in(clerk.user).get(f"/console/rounds/{live_auction.pk}/confirmation.pdf")
    assert response.status_code == 200
    entry = IdentityView.objects.get()
    assert (entry.actor, entry.subject, entry.purpose, entry.auction_id) == (
        clerk.user,
        buyer,
        IdentityView.Purpose.CONFIRMATION,
        live_auction.pk,
    )
