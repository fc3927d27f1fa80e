"""Public notices (issue 6 item 7): announcements, amendments, results, suspensions and withdrawals
in one paginated, filterable page and an Atom feed; personal data masked (AN5); closed cases
shielded (PD4)."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse

from auctions import clock, lifecycle, rules
from auctions import services as auction_services
from auctions.models import Auction
from lots.models import EnforcementCase
from notices import feed, shielding
from tests import factories
from tests.test_public_support import (
    RESPONDENT,
    assert_no_personal_data,
    lot_for,
    pii_lot,
    published_round,
    set_result,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def kinds_in(page_html: str) -> list[str]:
    return [kind for kind in feed.KIND_LABELS if f"notice-{kind}" in page_html]


def atom(client, query: str = "") -> ET.Element:
    response = client.get(reverse("notices:atom") + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314  (our own server's answer, in a test)


@pytest.fixture
def five_kinds(court, clerk, other_court):
    """One notice of each kind: an announcement with an amendment, a sold and a failed result, a
    suspension and a withdrawal (each with the reason published), in court A; one round in court B."""
    announced = published_round(lot_for(court, title="望京住宅"), starts_in=timedelta(days=2))
    auction_services.amend_announcement(announced, clerk.user, text="看样时间改为周六上午。", reason="看样安排调整")
    sold = set_result(published_round(lot_for(court, title="成交轿车")), Auction.Status.SOLD, price=90_000)
    failed = set_result(published_round(lot_for(court, title="流拍设备")), Auction.Status.FAILED)
    suspended = published_round(lot_for(court, title="暂缓厂房"), starts_in=timedelta(days=3))
    lifecycle.suspend_round(suspended.pk, clerk.user, "案外人提出异议")
    withdrawn = published_round(lot_for(court, title="撤回车位"), starts_in=timedelta(days=3))
    lifecycle.withdraw_round(withdrawn.pk, clerk.user, "被执行人已履行全部债务")
    elsewhere = published_round(lot_for(other_court, title="上海商铺"), starts_in=timedelta(days=2))
    return {"announced": announced, "sold": sold, "failed": failed, "elsewhere": elsewhere}


def test_the_feed_holds_every_kind_newest_first(client, five_kinds):
    page = client.get(reverse("notices:public"))
    assert page.status_code == 200
    html = page.content.decode()
    assert kinds_in(html) == list(feed.KIND_LABELS)
    for text in (
        "拍卖公告：望京住宅",
        "公告更正：望京住宅（第1次）",
        "看样安排调整",
        "成交结果：成交轿车",
        "¥90,000.00",
        "流拍：流拍设备",
        "暂缓原因：案外人提出异议",
        "撤回原因：被执行人已履行全部债务",
        "上海商铺",
    ):
        assert text in html, text
    rows = list(feed.entries(clock.now()))
    assert [row[1] for row in rows] == sorted((row[1] for row in rows), reverse=True)


def test_each_entry_links_to_a_public_page(client, five_kinds):
    """Results and withdrawals to the result notice, announcements and amendments to the
    announcement, suspensions to the lot page; every link answers."""
    entries = feed.hydrate(feed.entries(clock.now()))
    sold = five_kinds["sold"].pk
    assert next(e.url for e in entries if e.kind == "result" and "成交轿车" in e.title) == f"/auctions/{sold}/result/"
    for entry in entries:
        assert client.get(entry.url).status_code == 200, entry.url


def test_the_feed_filters_by_kind_and_court(client, five_kinds, other_court):
    html = client.get(reverse("notices:public"), {"kind": "result"}).content.decode()
    assert kinds_in(html) == ["result"] and "成交轿车" in html and "流拍设备" in html and "望京住宅" not in html
    html = client.get(reverse("notices:public"), {"court": other_court.code}).content.decode()
    assert "上海商铺" in html and "望京住宅" not in html and kinds_in(html) == ["announcement"]


@pytest.mark.parametrize(
    "query",
    [{"kind": "gossip"}, {"court": "不存在"}, {"page": "0"}, {"page": "abc"}, {"page": "100000"}],
)
def test_bad_filters_get_a_message_not_an_error(client, five_kinds, query):
    response = client.get(reverse("notices:public"), query)
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()


def test_an_oversized_query_string_is_refused_before_parsing(client, db):
    response = client.get(reverse("notices:public") + "?kind=" + "x" * 600)
    assert response.status_code == 400
    assert client.get(reverse("notices:atom") + "?kind=" + "x" * 600).status_code == 404


def test_the_feed_is_paginated(client, court, monkeypatch):
    monkeypatch.setattr(feed, "PAGE_SIZE", 2)
    for n in range(5):
        published_round(lot_for(court, title=f"分页标的{n}"), starts_in=timedelta(days=2 + n))
    first = client.get(reverse("notices:public")).content.decode()
    assert first.count('class="card notice ') == 2 and "第 1 / 3 页" in first
    last = client.get(reverse("notices:public"), {"page": 3}).content.decode()
    assert last.count('class="card notice ') == 1
    assert client.get(reverse("notices:public"), {"page": 99}).status_code == 200  # past the end: the last page


def test_the_page_costs_a_fixed_number_of_queries(client, five_kinds, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get(reverse("notices:public"))


def test_atom_feed_is_valid_and_holds_the_same_entries(client, five_kinds):
    root = atom(client)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None and root.find(f"{ATOM}{required}").text
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(list(feed.entries(clock.now())))
    ids = [entry.find(f"{ATOM}id").text for entry in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:judicial-auction:notice:") for i in ids)
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}").text
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/auctions/")
        assert entry.find(f"{ATOM}author/{ATOM}name").text
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert "[拍卖结果] 成交结果：成交轿车" in titles


def test_atom_feed_filters_like_the_page(client, five_kinds, other_court):
    root = atom(client, f"?court={other_court.code}")
    assert [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")] == [
        "[拍卖公告] 拍卖公告：上海商铺（一拍）"
    ]
    assert client.get(reverse("notices:atom"), {"kind": "gossip"}).status_code == 404


def test_an5_personal_data_is_masked_in_reasons_and_amendments(client, court, clerk):
    lot = pii_lot(court)
    auction = published_round(
        lot, starts_in=timedelta(days=2), starting_price=1_500_000, increment=10_000, deposit=150_000
    )
    r = RESPONDENT
    auction_services.amend_announcement(
        auction, clerk.user, text=f"联系人{r['name']}电话{r['phone']}。", reason="补充联系方式"
    )
    lifecycle.suspend_round(auction.pk, clerk.user, f"{r['name']}（身份证{r['id_number']}）提出执行异议")
    html = client.get(reverse("notices:public")).content.decode()
    assert "提出执行异议" in html and "补充联系方式" in html
    assert_no_personal_data(html)
    assert_no_personal_data(client.get(reverse("notices:atom")).content.decode())


def test_no_unpublished_round_appears(client, court):
    from tests.test_public_support import unpublished_round

    unpublished_round(lot_for(court, title="尚未公告"))
    html = client.get(reverse("notices:public")).content.decode()
    assert "尚未公告" not in html.replace('id="id_q"', ""), html[html.index("尚未公告") - 300 :]


# --- PD4: closed cases are shielded -------------------------------------------------------------------
def close_case(case: EnforcementCase, at) -> None:
    EnforcementCase.objects.filter(pk=case.pk).update(status=EnforcementCase.Status.CLOSED, closed_at=at)
    case.refresh_from_db()


def test_pd4_a_case_is_listed_until_it_closes_and_shielded_from_then_on(client, court):
    sold = set_result(published_round(lot_for(court, title="已结案标的")), Auction.Status.SOLD, price=90_000)

    def listed_in_search() -> int:
        return client.get(reverse("auction_list"), {"q": "已结案标的"}).content.decode().count('class="auction-card')

    assert "已结案标的" in client.get(reverse("notices:public")).content.decode()
    assert listed_in_search() == 1
    close_case(sold.lot.case, clock.now())
    assert "已结案标的" not in client.get(reverse("notices:public")).content.decode()
    assert "已结案标的" not in client.get(reverse("notices:atom")).content.decode()
    assert listed_in_search() == 0


def test_pd4_the_feed_is_never_overdue(court):
    """The law's own check: on and after the 5th working day after closing nothing is listed; the
    feed meets it on the very day of closing."""
    lot = lot_for(court, title="期限内屏蔽")
    auction = set_result(published_round(lot), Auction.Status.FAILED)
    closed_at = clock.now()
    close_case(lot.case, closed_at)
    deadline = rules.shielding_deadline(rules.court_date(closed_at))
    for day in (closed_at, closed_at + (deadline - rules.court_date(closed_at))):
        listed = any(row[3] == auction.pk for row in feed.entries(day))
        assert not listed
        assert not shielding.overdue(lot.case, listed, day)


def test_pd4_overdue_boundaries():
    """`overdue` is true from the deadline day on for a closed case still listed."""
    case = EnforcementCase(
        status=EnforcementCase.Status.CLOSED, closed_at=clock.now().replace(year=2026, month=3, day=2, hour=4)
    )
    deadline = rules.shielding_deadline(date(2026, 3, 2))
    assert deadline == date(2026, 3, 9)
    day_before = case.closed_at + timedelta(days=6)  # 2026-03-08, a Sunday before the deadline
    on_deadline = case.closed_at + timedelta(days=7)
    assert not shielding.overdue(case, True, day_before)
    assert shielding.overdue(case, True, on_deadline)
    assert not shielding.overdue(case, False, on_deadline)
    open_case = EnforcementCase(status=EnforcementCase.Status.OPEN)
    assert not shielding.overdue(open_case, True, on_deadline)


def test_feed_entries_of_another_court_are_only_that_courts(client, court, other_court):
    published_round(lot_for(court, title="甲院标的"), starts_in=timedelta(days=2))
    factories.make_auction(lot_for(other_court, title="乙院草稿"), status=Auction.Status.DRAFT)
    html = client.get(reverse("notices:public"), {"court": other_court.code}).content.decode()
    assert "甲院标的" not in html and "乙院草稿" not in html
