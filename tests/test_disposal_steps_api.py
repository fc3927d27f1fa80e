"""The next lawful steps from the court console and the court API: prefilled, guided, refused with
the rule on the field, another court's ids unreachable, nothing written on a refusal."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from auctions import clock, lifecycle, rules, services
from auctions.models import Announcement, Auction
from lots import services as lot_services
from lots.models import DisposalRecord, Lot, Party
from payments.models import Deposit
from tests import factories
from tests.test_payments_support import paid_bidder

pytestmark = pytest.mark.django_db
K = DisposalRecord.Kind


def failed(lot, *, round_no=1, previous=None, starting=80_000, deposit=8_000) -> Auction:
    """A round of `lot` that ended just now without a bid (the engine closes it)."""
    now = clock.now()
    auction = Auction.objects.create(
        lot=lot,
        round_no=round_no,
        previous=previous,
        starting_price=factories.cny(starting),
        increment=factories.cny(1_000),
        deposit=factories.cny(deposit),
        announce_at=now - timedelta(days=10),
        starts_at=now - timedelta(days=1),
        scheduled_end_at=now,
        ends_at=now,
        balance_due_at=now + timedelta(days=10),
        status=Auction.Status.LIVE,
    )
    announced(auction)
    assert lifecycle.do_close_auction(auction.pk) == "failed"
    return Auction.objects.get(pk=auction.pk)


def announced(auction: Auction) -> Auction:
    Announcement.objects.create(auction=auction, publish_at=auction.announce_at, published_at=auction.announce_at)
    return auction


def counts():
    return Auction.objects.count(), DisposalRecord.objects.count()


def iso(moment) -> str:
    return moment.replace(second=0, microsecond=0).isoformat()


def reauction_body(*, price="64000", deposit="6400", notice_days=8, start_in_days=None) -> dict:
    announce = clock.now() + timedelta(hours=1)
    starts = announce + timedelta(days=start_in_days if start_in_days is not None else notice_days)
    return {
        "starting_price": price,
        "increment": "1000",
        "deposit": deposit,
        "announce_at": iso(announce),
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(days=1)),
        "balance_due_at": iso(starts + timedelta(days=12)),
    }


@pytest.fixture
def live_auction(lot):
    return announced(factories.make_auction(lot))


@pytest.fixture
def staff_client(client, clerk):
    client.force_login(clerk.user)
    return client


# --- Console ------------------------------------------------------------------------------------
def test_console_failed_round_offers_the_guided_reauction_prefilled(staff_client, lot):
    first = failed(lot)
    page = staff_client.get(f"/console/rounds/{first.pk}/").content.decode()
    assert "安排重新拍卖" in page and f"/console/rounds/{first.pk}/reauction/" in page
    assert "变卖（FA2）" not in page and "以物抵债（FA3）" not in page  # only after a failed re-auction
    form = staff_client.get(f"/console/rounds/{first.pk}/reauction/")
    assert form.status_code == 200
    assert form.context["form"].initial["starting_price"] == Decimal("64000.00")
    deadline = rules.reauction_deadline(services.failed_on(first)).isoformat()
    assert deadline in form.content.decode()


def test_console_reauction_cut_over_20_percent_is_refused_on_the_field(staff_client, lot):
    first = failed(lot)
    response = staff_client.post(f"/console/rounds/{first.pk}/reauction/", reauction_body(price="63999"))
    assert response.status_code == 400
    errors = response.context["form"].errors["starting_price"]
    assert errors[0].startswith("PR2：")
    assert not Auction.objects.filter(previous=first).exists()

    response = staff_client.post(f"/console/rounds/{first.pk}/reauction/", reauction_body())
    second = Auction.objects.get(previous=first)
    assert response.status_code == 302 and response["Location"] == f"/console/rounds/{second.pk}/"
    assert DisposalRecord.objects.get(auction=second).kind == K.REAUCTION_SCHEDULED


def test_console_reauction_after_30_days_names_fa1(staff_client, lot):
    first = failed(lot)
    before = counts()
    response = staff_client.post(f"/console/rounds/{first.pk}/reauction/", reauction_body(start_in_days=31))
    assert response.context["form"].errors["starts_at"][0].startswith("FA1：")
    assert counts() == before


def test_console_sale_satisfaction_and_withdraw_pages(staff_client, lot, case):
    first = failed(lot)
    second = failed(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    page = staff_client.get(f"/console/rounds/{second.pk}/").content.decode()
    assert "变卖（FA2）" in page and "以物抵债（FA3）" in page
    assert staff_client.get(f"/console/rounds/{second.pk}/sale/").status_code == 200
    applicant = Party.objects.create(case=case, role="applicant", kind="organisation", name="某银行")
    response = staff_client.post(f"/console/rounds/{second.pk}/satisfaction/", {"applicant": applicant.pk})
    assert response.status_code == 302
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.SATISFIED
    assert DisposalRecord.objects.get(kind=K.SATISFACTION_IN_KIND).amount.amount == Decimal("64000")


def test_console_satisfaction_before_a_failed_reauction_names_fa3(staff_client, lot, case):
    first = failed(lot)
    applicant = Party.objects.create(case=case, role="applicant", kind="organisation", name="某银行")
    before = counts()
    response = staff_client.post(f"/console/rounds/{first.pk}/satisfaction/", {"applicant": applicant.pk})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()[0].startswith("FA3：")
    assert counts() == before and Lot.objects.get(pk=lot.pk).status == Lot.Status.LISTED


def test_console_withdraw_with_a_published_reason(staff_client, live_auction):
    assert "撤回拍卖（FA5）" in staff_client.get(f"/console/rounds/{live_auction.pk}/").content.decode()
    staff_client.post(f"/console/rounds/{live_auction.pk}/withdraw/", {"reason": " "})
    assert Auction.objects.get(pk=live_auction.pk).status == Auction.Status.LIVE
    staff_client.post(f"/console/rounds/{live_auction.pk}/withdraw/", {"reason": "被执行人已履行"})
    assert Auction.objects.get(pk=live_auction.pk).status == Auction.Status.WITHDRAWN


def test_console_steps_of_another_court_are_404(client, clerk_b, lot, case):
    first = failed(lot)
    client.force_login(clerk_b.user)
    before = counts()
    for path in ("reauction", "sale", "satisfaction"):
        assert client.get(f"/console/rounds/{first.pk}/{path}/").status_code == 404
        assert client.post(f"/console/rounds/{first.pk}/{path}/", reauction_body()).status_code == 404
    assert client.post(f"/console/rounds/{first.pk}/withdraw/", {"reason": "x"}).status_code == 404
    assert client.post(f"/console/cases/{case.pk}/stop-lots/", {"costs": "0"}).status_code == 404
    assert counts() == before


def test_console_stop_lots_page(staff_client, case, lot):
    factories.make_lot(case)
    page = staff_client.get(f"/console/cases/{case.pk}/").content.decode()
    assert f"/console/cases/{case.pk}/stop-lots/" in page
    response = staff_client.post(f"/console/cases/{case.pk}/stop-lots/", {"debt": "1000", "costs": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["costs"][0].startswith("FA6：")


# --- Court API ----------------------------------------------------------------------------------
class Api:
    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def get(self, path: str):
        return self.client.get("/api/v1/court" + path, headers={"Authorization": f"Bearer {self.token}"})

    def post(self, path: str, body=None, **headers):
        return self.client.post(
            "/api/v1/court" + path,
            data=json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}", **headers},
        )


@pytest.fixture
def api(client, court, clerk):
    return Api(client, lot_services.issue_api_token(court, clerk.user, "执行办案系统")[1])


@pytest.fixture
def api_b(client, other_court, clerk_b):
    return Api(client, lot_services.issue_api_token(other_court, clerk_b.user, "上海系统")[1])


def test_api_reauction_after_failure_and_pr2_refusal(api, lot):
    first = failed(lot)
    steps = api.get(f"/rounds/{first.pk}/next-steps").json()
    assert steps["reauction"] is True and steps["sale"] is False
    assert steps["reauction_by"] == rules.reauction_deadline(services.failed_on(first)).isoformat()

    before = counts()
    refused = api.post(f"/rounds/{first.pk}/reauction", reauction_body(price="63999.99"))
    assert refused.status_code == 422
    assert refused.json()["errors"]["starting_price"][0]["rule"] == "PR2"
    late = api.post(f"/rounds/{first.pk}/reauction", reauction_body(start_in_days=31))
    assert late.json()["errors"]["starts_at"][0]["rule"] == "FA1"
    assert counts() == before

    created = api.post(f"/rounds/{first.pk}/reauction", reauction_body(), **{"Idempotency-Key": "re-1"})
    assert created.status_code == 201
    body = created.json()
    assert (body["round_no"], body["round_label"], body["starting_price"]) == (2, "二拍", "64000.00")
    again = api.post(f"/rounds/{first.pk}/reauction", reauction_body(), **{"Idempotency-Key": "re-1"})
    assert again.json() == body and Auction.objects.filter(previous=first).count() == 1


def test_api_reauction_of_a_sold_round_names_fa1(api, live_auction):
    Auction.objects.filter(pk=live_auction.pk).update(status=Auction.Status.SOLD)
    Lot.objects.filter(pk=live_auction.lot_id).update(status=Lot.Status.SOLD)
    before = counts()
    response = api.post(f"/rounds/{live_auction.pk}/reauction", reauction_body())
    assert response.status_code == 422
    assert response.json()["errors"]["__all__"][0]["rule"] == "FA1"
    assert counts() == before


def test_api_sale_satisfaction_and_their_refusals(api, lot, case):
    first = failed(lot)
    announce = clock.now() + timedelta(hours=1)
    sale_body = {"announce_at": iso(announce), "starts_at": iso(announce + timedelta(days=7))}
    early = api.post(f"/rounds/{first.pk}/sale", sale_body)
    assert early.status_code == 422 and early.json()["errors"]["__all__"][0]["rule"] == "FA2"
    applicant = Party.objects.create(case=case, role="applicant", kind="organisation", name="某银行")
    too_early = api.post(f"/rounds/{first.pk}/satisfaction", {"applicant": applicant.pk})
    assert too_early.status_code == 422 and too_early.json()["errors"]["__all__"][0]["rule"] == "FA3"
    assert not DisposalRecord.objects.filter(kind__in=[K.SALE_STARTED, K.SATISFACTION_IN_KIND]).exists()

    second = failed(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    sale = api.post(f"/rounds/{second.pk}/sale", sale_body)
    assert sale.status_code == 201
    assert (sale.json()["kind"], sale.json()["deposit"], sale.json()["starting_price"]) == (
        "sale",
        "64000.00",
        "64000.00",
    )


def test_api_satisfaction_records_the_amount(api, lot, case):
    first = failed(lot)
    second = failed(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    applicant = Party.objects.create(case=case, role="applicant", kind="organisation", name="某银行")
    response = api.post(f"/rounds/{second.pk}/satisfaction", {"applicant": applicant.pk, "note": "书面同意"})
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["amount"]) == ("satisfaction_in_kind", "64000.00")
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.SATISFIED


def test_api_suspend_resume_withdraw(api, live_auction):
    paid_bidder(live_auction, "lin")
    assert api.post(f"/rounds/{live_auction.pk}/suspend", {"reason": ""}).status_code == 422
    assert api.post(f"/rounds/{live_auction.pk}/suspend", {"reason": "案外人异议"}).json()["status"] == "suspended"
    assert api.post(f"/rounds/{live_auction.pk}/resume").json()["status"] == "live"
    withdrawn = api.post(f"/rounds/{live_auction.pk}/withdraw", {"reason": "被执行人已履行"})
    assert withdrawn.json()["status"] == "withdrawn"
    again = api.post(f"/rounds/{live_auction.pk}/withdraw", {"reason": "再次"})
    assert again.status_code == 422
    deposit = Deposit.objects.get(registration__auction=live_auction)
    assert deposit.release_due_by is not None  # handed to the payments worker (FA5)


def test_api_another_courts_ids_are_404_and_write_nothing(api_b, lot, case):
    first = failed(lot)
    before = counts()
    assert api_b.get(f"/rounds/{first.pk}/next-steps").status_code == 404
    assert api_b.post(f"/rounds/{first.pk}/reauction", reauction_body()).status_code == 404
    assert api_b.post(f"/rounds/{first.pk}/sale", {}).status_code in (404, 422)
    assert api_b.post(f"/rounds/{first.pk}/satisfaction", {"applicant": 1}).status_code == 404
    assert api_b.post(f"/rounds/{first.pk}/withdraw", {"reason": "x"}).status_code == 404
    assert api_b.post(f"/cases/{case.pk}/stop-remaining-lots", {"costs": "0"}).status_code == 404
    assert counts() == before


def test_api_stop_remaining_lots_refused_then_done(api, case, lot):
    other = factories.make_lot(case)
    live = factories.make_auction(other)
    refused = api.post(f"/cases/{case.pk}/stop-remaining-lots", {"debt": "1000", "costs": "0"})
    assert refused.status_code == 422 and refused.json()["errors"]["costs"][0]["rule"] == "FA6"
    assert Auction.objects.get(pk=live.pk).status == Auction.Status.LIVE
    bad = api.post(f"/cases/{case.pk}/stop-remaining-lots", {"costs": 1.5})
    assert bad.status_code == 422


def test_api_resume_with_the_day_the_cause_ended(api, live_auction):
    api.post(f"/rounds/{live_auction.pk}/suspend", {"reason": "案外人异议"})
    today = clock.now().date()
    assert api.post(f"/rounds/{live_auction.pk}/resume", {"bogus": 1}).status_code == 422
    future = api.post(f"/rounds/{live_auction.pk}/resume", {"cause_ended_on": str(today + timedelta(days=2))})
    assert future.status_code == 422 and future.json()["errors"]["__all__"][0]["rule"] == "FA4"
    done = api.post(f"/rounds/{live_auction.pk}/resume", {"cause_ended_on": str(today - timedelta(days=1))})
    assert done.status_code == 200
    record = DisposalRecord.objects.get(auction=live_auction, kind=K.ROUND_RESUMED)
    assert record.detail["within_deadline"] is True


def test_console_resume_with_the_day_the_cause_ended(staff_client, live_auction, clerk):
    lifecycle.suspend_round(live_auction.pk, clerk.user, "案外人异议")
    page = staff_client.get(f"/console/rounds/{live_auction.pk}/").content.decode()
    assert 'name="cause_ended_on"' in page
    day = str(clock.now().date() - timedelta(days=7))
    staff_client.post(f"/console/rounds/{live_auction.pk}/resume/", {"cause_ended_on": day})
    record = DisposalRecord.objects.get(auction=live_auction, kind=K.ROUND_RESUMED)
    assert (record.detail["cause_ended_on"], record.detail["within_deadline"]) == (day, False)


def test_api_steps_under_an_idempotency_key_happen_once(api, lot, case):
    live_auction = announced(factories.make_auction(factories.make_lot(case)))
    first = failed(lot)
    second = failed(lot, round_no=2, previous=first, starting=64_000, deposit=6_400)
    applicant = Party.objects.create(case=case, role="applicant", kind="organisation", name="某银行")
    key = {"Idempotency-Key": "fa3-1"}
    body = {"applicant": applicant.pk}
    done = api.post(f"/rounds/{second.pk}/satisfaction", body, **key)
    assert done.status_code == 201
    again = api.post(f"/rounds/{second.pk}/satisfaction", body, **key)
    assert again.json() == done.json() and again["Idempotent-Replayed"] == "true"
    assert DisposalRecord.objects.filter(kind=K.SATISFACTION_IN_KIND).count() == 1

    for step, payload in [("suspend", {"reason": "异议"}), ("resume", {}), ("withdraw", {"reason": "已履行"})]:
        headers = {"Idempotency-Key": f"{step}-1"}
        first_answer = api.post(f"/rounds/{live_auction.pk}/{step}", payload, **headers)
        assert first_answer.status_code == 200, first_answer.content
        assert api.post(f"/rounds/{live_auction.pk}/{step}", payload, **headers).json() == first_answer.json()
    assert Auction.objects.get(pk=live_auction.pk).status == Auction.Status.WITHDRAWN

    other = factories.make_lot(case)
    live_other = factories.make_auction(other)
    body, key = {"debt": "60000", "costs": "4000"}, {"Idempotency-Key": "fa6-1"}
    stop = api.post(f"/cases/{case.pk}/stop-remaining-lots", body, **key)  # FA3's 64,000 covers it
    assert stop.status_code == 200 and stop.json()["withdrawn_round_ids"] == [live_other.pk]
    assert api.post(f"/cases/{case.pk}/stop-remaining-lots", body, **key).json() == stop.json()
    assert Lot.objects.get(pk=other.pk).status == Lot.Status.WITHDRAWN
