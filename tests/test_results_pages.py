"""The public result notice (lot page and its own page) and who may download which copy of the
confirmation (ST1, AN5): everyone the masked one, the buyer and the court the full one."""

import pytest

from tests.results_support import buyer_with_deposit, close_round
from tests.test_confirmation import pdf_text
from tests.test_public_support import published_round


@pytest.fixture
def sold(lot):
    auction = published_round(lot)
    user, registration = buyer_with_deposit(auction, "buyer_wu", "吴十一")
    return close_round(auction, registration, 95_000), user


@pytest.fixture
def failed(case):
    from tests import factories

    return close_round(published_round(factories.make_lot(case)))


def test_lot_page_shows_the_sold_result_without_the_buyers_identity(client, sold):
    auction, user = sold
    page = client.get(f"/auctions/{auction.pk}/").content.decode()
    assert "竞价结果公告" in page and "¥95,000.00" in page and "A0001" in page
    assert auction.closed_at.astimezone().strftime("%Y-%m-%d") in page
    assert f"/auctions/{auction.pk}/result/confirmation.pdf" in page
    assert "吴十一" not in page and user.bidder.id_number not in page
    assert f"/me/confirmations/{auction.pk}.pdf" not in page  # only for the buyer


def test_the_buyer_sees_a_link_to_the_full_copy(client, sold):
    auction, user = sold
    client.force_login(user)
    assert f"/me/confirmations/{auction.pk}.pdf" in client.get(f"/auctions/{auction.pk}/").content.decode()


def test_result_page_of_a_failed_round_says_liupai(client, failed):
    page = client.get(f"/auctions/{failed.pk}/result/")
    assert page.status_code == 200
    assert "流拍" in page.content.decode() and "confirmation.pdf" not in page.content.decode()
    assert client.get(f"/auctions/{failed.pk}/result/confirmation.pdf").status_code == 404


def test_result_page_is_404_before_the_end(client, lot):
    live = published_round(lot)
    assert client.get(f"/auctions/{live.pk}/result/").status_code == 404
    assert "竞价结果公告" not in client.get(f"/auctions/{live.pk}/").content.decode()


def test_an5_public_copy_for_anyone_is_masked(client, sold):
    auction, user = sold
    response = client.get(f"/auctions/{auction.pk}/result/confirmation.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "¥95,000.00" in text and "吴**" in text
    assert user.bidder.id_number not in text and "吴十一" not in text


def test_st1_buyer_downloads_the_full_copy_and_nobody_else_does(client, sold, charlie):
    auction, user = sold
    url = f"/me/confirmations/{auction.pk}.pdf"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    assert "吴十一" in text and user.bidder.id_number in text


def test_st1_court_downloads_the_full_copy_of_its_own_rounds_only(client, sold, clerk, clerk_b, charlie):
    auction, user = sold
    url = f"/console/rounds/{auction.pk}/confirmation.pdf"
    client.force_login(clerk.user)
    response = client.get(url)
    assert response.status_code == 200 and user.bidder.id_number in pdf_text(response.content)
    round_page = client.get(f"/console/rounds/{auction.pk}/").content.decode()
    assert "吴十一" in round_page and url in round_page and user.bidder.id_number not in round_page
    client.force_login(clerk_b.user)
    assert client.get(url).status_code == 404
    client.force_login(charlie)
    assert client.get(url).status_code == 403


def test_st4_a_defaulted_sale_says_so_on_the_notice(client, sold, clerk):
    from datetime import timedelta

    from auctions import clock
    from payments.models import Settlement
    from payments.settlement import confirm_default

    auction, _user = sold
    assert "悔拍" not in client.get(f"/auctions/{auction.pk}/result/").content.decode()
    settlement = Settlement.objects.get(auction=auction)
    with clock.travel(settlement.balance_due_at - clock.now() + timedelta(minutes=1)):
        confirm_default(settlement.pk, clerk.user, resale_costs="0", shortfall="0", debt="0")
    page = client.get(f"/auctions/{auction.pk}/result/").content.decode()
    assert "已认定悔拍" in page and "ST4" in page
