"""Scheduling and publishing rounds (auctions/services.py): every rule refusal names its rule and
saves nothing; publication is once only (AN6) and safe to repeat."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from auctions import clock
from auctions import services as auction_services
from auctions.errors import RuleViolation
from auctions.models import Announcement, Auction
from lots.models import DisposalRecord, Lot
from tests.console_support import draft_lot, media_root, round_data, round_kwargs  # noqa: F401


@pytest.fixture
def car(case, clerk):
    return draft_lot(case, clerk.user)


@pytest.fixture
def house(case, clerk):
    return draft_lot(case, clerk.user, category=Lot.Category.REAL_ESTATE)


@pytest.fixture
def staff_client(client, clerk):
    client.force_login(clerk.user)
    return client


def failed_first_round(lot, clerk):
    auction = auction_services.schedule_round(lot, clerk.user, **round_kwargs(notice_days=31))
    Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.FAILED)  # the engine's job
    auction.refresh_from_db()
    return auction


def post_round(client, lot, **overrides):
    return client.post(reverse("console:round_create", args=[lot.id]), round_data(**overrides))


def assert_refused_on_page(response, rule: str, field: str):
    assert response.status_code == 400
    page = response.content.decode()
    assert f"{rule}：" in page
    assert f'id="field-{field}"' in page and "has-error" in page
    form = response.context["form"]
    assert any(message.startswith(f"{rule}：") for message in form.errors.get(field, form.non_field_errors()))
    assert not Auction.objects.exists() or Auction.objects.filter(status=Auction.Status.FAILED).exists()
    assert not Announcement.objects.filter(auction__status=Auction.Status.SCHEDULED).exists()


def test_lawful_round_is_scheduled_with_its_announcement_and_record(staff_client, car):
    response = post_round(staff_client, car)
    auction = Auction.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:round_detail", args=[auction.id])
    assert auction.status == Auction.Status.SCHEDULED and auction.round_no == 1
    assert auction.announcement.publish_at == auction.announce_at and not auction.announcement.is_published
    assert DisposalRecord.objects.filter(kind=DisposalRecord.Kind.ROUND_SCHEDULED, auction=auction).exists()


def test_pr1_start_price_below_70_percent_is_refused_on_the_form(staff_client, car):
    assert_refused_on_page(post_round(staff_client, car, starting="69999.99", deposit="5000"), "PR1", "starting_price")


def test_pr1_exactly_70_percent_is_accepted(staff_client, car):
    assert post_round(staff_client, car, starting="70000", deposit="3500").status_code == 302


def test_pr3_deposit_outside_5_to_20_percent_is_refused(staff_client, car):
    assert_refused_on_page(post_round(staff_client, car, deposit="3999.99"), "PR3", "deposit")
    assert_refused_on_page(post_round(staff_client, car, deposit="16000.01"), "PR3", "deposit")


def test_pr4_increment_must_be_positive(staff_client, car):
    assert_refused_on_page(post_round(staff_client, car, increment="0"), "PR4", "increment")


def test_an1_movable_first_round_needs_15_days_notice(staff_client, car):
    assert_refused_on_page(post_round(staff_client, car, notice_days=14), "AN1", "starts_at")
    assert post_round(staff_client, car, notice_days=15).status_code == 302


def test_an1_immovable_first_round_needs_30_days_notice(staff_client, house):
    assert_refused_on_page(post_round(staff_client, house, notice_days=29), "AN1", "starts_at")


def test_bi1_bidding_period_at_least_24_hours(staff_client, car):
    assert_refused_on_page(post_round(staff_client, car, hours=23), "BI1", "ends_at")


def test_rp3_first_round_announcement_after_validity_is_refused(staff_client, car, clerk):
    car.reference_prices.update(valid_until=clock.now().date() - timedelta(days=1))
    assert_refused_on_page(post_round(staff_client, car), "RP3", "announce_at")


def test_rp1_no_reference_price_no_round(staff_client, car):
    car.reference_prices.all().delete()
    response = post_round(staff_client, car)
    assert response.status_code == 400 and "RP1：" in response.content.decode()
    assert not Auction.objects.exists()


def test_st3_balance_deadline_after_bidding_ends(staff_client, car):
    data = round_data()
    assert_refused_on_page(post_round(staff_client, car, balance_due_at=data["ends_at"]), "ST3", "balance_due_at")


def test_pr2_reauction_cut_at_most_20_percent(staff_client, car, clerk):
    failed = failed_first_round(car, clerk)
    response = post_round(staff_client, car, notice_days=7, starting="63999.99", deposit="5000")
    assert_refused_on_page(response, "PR2", "starting_price")
    response = post_round(staff_client, car, notice_days=7, starting="64000", deposit="5000")
    assert response.status_code == 302
    second = Auction.objects.get(previous=failed)
    assert second.round_no == 2 and second.round_label == "二拍"
    assert DisposalRecord.objects.filter(kind=DisposalRecord.Kind.REAUCTION_SCHEDULED, auction=second).exists()


def test_an2_movable_reauction_needs_7_days_notice(staff_client, car, clerk):
    failed_first_round(car, clerk)
    assert_refused_on_page(post_round(staff_client, car, notice_days=6), "AN2", "starts_at")


def test_an2_immovable_reauction_needs_15_days_notice(staff_client, house, clerk):
    failed_first_round(house, clerk)
    assert_refused_on_page(post_round(staff_client, house, notice_days=14), "AN2", "starts_at")


def test_fa1_no_second_round_while_the_first_is_open(car, clerk):
    auction_services.schedule_round(car, clerk.user, **round_kwargs())
    with pytest.raises(ValidationError) as error:
        auction_services.schedule_round(car, clerk.user, **round_kwargs())
    assert error.value.code == "round_in_progress"
    assert Auction.objects.count() == 1


def test_service_refusal_saves_nothing(car, clerk):
    with pytest.raises(RuleViolation) as violation:
        auction_services.schedule_round(car, clerk.user, **round_kwargs(starting="1", notice_days=1, hours=1))
    assert {"PR1", "PR3", "AN1", "BI1"} <= set(violation.value.rules)
    assert violation.value.message_dict["starting_price"][0].startswith("PR1：")
    assert not Auction.objects.exists() and not Announcement.objects.exists()
    assert not DisposalRecord.objects.filter(kind=DisposalRecord.Kind.ROUND_SCHEDULED).exists()


def test_update_round_before_publication_rechecks_the_rules(car, clerk):
    auction = auction_services.schedule_round(car, clerk.user, **round_kwargs())
    with pytest.raises(RuleViolation):
        auction_services.update_round(auction, clerk.user, starting_price=Decimal("1000"))
    auction.refresh_from_db()
    assert auction.starting_price.amount == Decimal("80000")
    auction_services.update_round(auction, clerk.user, starting_price=Decimal("90000"), court_text="看样时间另行通知")
    auction.refresh_from_db()
    assert auction.starting_price.amount == Decimal("90000") and auction.announcement.court_text == "看样时间另行通知"


def test_publish_now_lists_the_lot_and_records(car, clerk):
    auction = auction_services.schedule_round(car, clerk.user, **round_kwargs())
    auction_services.publish_announcement(auction, clerk.user)
    auction.refresh_from_db()
    car.refresh_from_db()
    assert auction.status == Auction.Status.ANNOUNCED and car.status == Lot.Status.LISTED
    assert auction.announcement.published_at == auction.announcement.published_at and auction.announcement.sections
    assert DisposalRecord.objects.filter(kind=DisposalRecord.Kind.ANNOUNCEMENT_PUBLISHED, auction=auction).exists()


def test_an6_published_announcement_is_frozen_and_not_republished(car, clerk):
    auction = auction_services.schedule_round(car, clerk.user, **round_kwargs())
    auction_services.publish_announcement(auction, clerk.user)
    frozen = Announcement.objects.get().sections
    Lot.objects.filter(pk=car.pk).update(description="后来改动的描述")
    with pytest.raises(ValidationError):
        auction_services.publish_announcement(auction, clerk.user)
    with pytest.raises(ValidationError):
        auction_services.update_round(auction, clerk.user, starting_price=Decimal("90000"))
    assert Announcement.objects.get().sections == frozen
    assert "后来改动的描述" not in str(frozen)


def test_an6_amendments_are_numbered_and_kept(car, clerk):
    auction = auction_services.schedule_round(car, clerk.user, **round_kwargs())
    with pytest.raises(ValidationError):
        auction_services.amend_announcement(auction, clerk.user, text="x", reason="y")
    auction_services.publish_announcement(auction, clerk.user)
    first = auction_services.amend_announcement(auction, clerk.user, text="看样时间改为周六", reason="笔误")
    second = auction_services.amend_announcement(auction, clerk.user, text="联系电话 13912345678", reason="补充")
    assert (first.seq, second.seq) == (1, 2)
    assert "13912345678" not in second.text  # AN5 in amendments too
    assert DisposalRecord.objects.filter(kind=DisposalRecord.Kind.ANNOUNCEMENT_AMENDED).count() == 2
    with pytest.raises(ValidationError):
        auction_services.amend_announcement(auction, clerk.user, text=" ", reason="")


def test_publish_due_announcements_is_idempotent(car, case, clerk):
    due = auction_services.schedule_round(car, clerk.user, **round_kwargs())
    later = auction_services.schedule_round(draft_lot(case, clerk.user), clerk.user, **round_kwargs())
    Auction.objects.filter(pk=later.pk).update(announce_at=clock.now() + timedelta(days=1))
    with clock.travel(timedelta(hours=2)):
        assert auction_services.publish_due_announcements() == 1
        assert auction_services.publish_due_announcements() == 0
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Auction.Status.ANNOUNCED and later.status == Auction.Status.SCHEDULED
    assert DisposalRecord.objects.filter(kind=DisposalRecord.Kind.ANNOUNCEMENT_PUBLISHED).count() == 1
    assert DisposalRecord.objects.get(kind=DisposalRecord.Kind.ANNOUNCEMENT_PUBLISHED).actor is None


def test_an1_late_publication_goes_back_to_draft(car, clerk):
    """When the worker comes too late to leave 15 days of notice, the round is not published."""
    auction = auction_services.schedule_round(car, clerk.user, **round_kwargs(notice_days=15))
    with clock.travel(timedelta(days=2)):
        assert auction_services.publish_due_announcements() == 0
    auction.refresh_from_db()
    assert auction.status == Auction.Status.DRAFT and not auction.announcement.is_published


def test_draft_round_is_confirmed_then_published(car, clerk):
    auction = auction_services.schedule_round(car, clerk.user, as_draft=True, **round_kwargs())
    assert auction.status == Auction.Status.DRAFT
    with clock.travel(timedelta(hours=2)):
        assert auction_services.publish_due_announcements() == 0
        auction_services.confirm_round(auction, clerk.user)
        assert auction_services.publish_due_announcements() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.services
def test_two_workers_publish_each_round_once(case, clerk):
    """SKIP LOCKED: two clock workers at once publish every due round exactly once (PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    for _n in range(4):
        auction_services.schedule_round(draft_lot(case, clerk.user), clerk.user, **round_kwargs())

    def worker():
        try:
            return auction_services.publish_due_announcements()
        finally:
            connection.close()  # each thread has its own connection; the test database must be left free

    # The clock is process-wide: move it once, around both threads.
    with clock.travel(timedelta(hours=2)), ThreadPoolExecutor(2) as pool:
        counts = [future.result() for future in [pool.submit(worker), pool.submit(worker)]]
    assert sum(counts) == 4
    assert DisposalRecord.objects.filter(kind=DisposalRecord.Kind.ANNOUNCEMENT_PUBLISHED).count() == 4
