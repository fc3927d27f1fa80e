"""Registration for a round (`bidding.services.register_bidder`): BD1 real name and terms, BD2 the
applicant creditor, BD3 bidder codes, BD4 barred bidders, BD5 priority-right holders.

Personas: charlie (an outsider with a bidder profile), clerk (court staff of the lot's court),
clerk_b (staff of another court)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from auctions import clock
from auctions.models import Auction
from bidding.errors import BidError
from bidding.models import BidderProfile, PriorityRight, Registration
from bidding.services import register_bidder
from lots import pii
from payments.models import Deposit
from tests import factories
from tests.test_bidding_support import (
    NOW,
    applicant_creditor,
    frozen_now,  # noqa: F401  (fixture)
    make_round,
)

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def auction(lot):
    return make_round(lot)


def refused(code: str, user, auction, accept_terms=True) -> BidError:
    with pytest.raises(BidError) as caught:
        register_bidder(user, auction.pk, accept_terms=accept_terms)
    assert caught.value.code == code, caught.value.as_frame()
    return caught.value


def test_bd3_registration_gets_a_short_unguessable_code_and_a_deposit(auction, charlie):
    registration = register_bidder(charlie, auction.pk, accept_terms=True)
    assert re.fullmatch(r"A\d{4}", registration.code)
    assert registration.terms_accepted_at == NOW and not registration.is_applicant
    assert registration.priority_rank is None
    assert registration.deposit.status == Deposit.Status.PENDING
    assert registration.deposit.amount == auction.deposit


def test_bd3_codes_are_unique_within_the_round(auction):
    codes = {register_bidder(factories.make_bidder(), auction.pk, accept_terms=True).code for _ in range(30)}
    assert len(codes) == 30


def test_registering_twice_returns_the_first_registration(auction, charlie):
    first = register_bidder(charlie, auction.pk, accept_terms=True)
    assert register_bidder(charlie, auction.pk, accept_terms=False) == first
    assert Registration.objects.filter(auction=auction, user=charlie).count() == 1
    assert Deposit.objects.filter(registration=first).count() == 1


def test_bd1_real_name_profile_is_required(auction):
    user = get_user_model().objects.create_user("noname", password="pw-noname")
    assert refused("profile_required", user, auction).rule == "BD1"


def test_bd1_terms_must_be_accepted(auction, charlie):
    refused("terms_required", charlie, auction, accept_terms=False)
    assert not Registration.objects.exists()


def test_registration_is_refused_after_the_end(auction, charlie):
    with pytest.raises(BidError) as caught, clock.frozen(auction.ends_at):
        register_bidder(charlie, auction.pk, accept_terms=True)
    assert caught.value.code == "registration_closed"


@pytest.mark.parametrize("status", [Auction.Status.SOLD, Auction.Status.FAILED, Auction.Status.WITHDRAWN])
def test_registration_is_refused_for_an_ended_round(auction, charlie, status):
    Auction.objects.filter(pk=auction.pk).update(status=status)
    refused("registration_closed", charlie, auction)


@pytest.mark.parametrize("status", [Auction.Status.DRAFT, Auction.Status.SCHEDULED])
def test_registration_is_refused_for_a_round_not_yet_public(auction, charlie, status):
    Auction.objects.filter(pk=auction.pk).update(status=status)
    refused("not_found", charlie, auction)


def test_registration_is_open_before_the_start_and_while_suspended(case, charlie):
    announced = make_round(factories.make_lot(case), status=Auction.Status.ANNOUNCED, starts_in=timedelta(days=3))
    suspended = make_round(factories.make_lot(case), status=Auction.Status.SUSPENDED)
    assert register_bidder(charlie, announced.pk, accept_terms=True).code
    assert register_bidder(charlie, suspended.pk, accept_terms=True).code


def test_bd4_respondent_debtor_is_barred(auction, case, charlie):
    case.parties.create(role="respondent", name="被执行人", id_number_hash=charlie.bidder.id_number_hash)
    error = refused("barred", charlie, auction)
    assert (error.rule, error.data["reason"]) == ("BD4", "respondent")
    assert error.as_frame()["message"].startswith("BD4：")
    assert not Registration.objects.exists() and not Deposit.objects.exists()


def test_bd4_the_respondent_of_another_case_is_not_barred(auction, court, charlie):
    other_case = factories.make_case(court)
    other_case.parties.create(role="respondent", name="别案被执行人", id_number_hash=charlie.bidder.id_number_hash)
    assert register_bidder(charlie, auction.pk, accept_terms=True)


def test_bd4_staff_of_the_selling_court_are_barred(auction, clerk):
    _give_profile(clerk.user)
    error = refused("barred", clerk.user, auction)
    assert error.data["reason"] == "court_staff"


def test_bd4_staff_of_another_court_are_not_barred_by_that_rule(auction, clerk_b):
    _give_profile(clerk_b.user)
    assert register_bidder(clerk_b.user, auction.pk, accept_terms=True)


def test_bd4_st4_defaulter_of_an_earlier_round_of_the_same_lot_is_barred(auction, lot, charlie):
    registration = register_bidder(charlie, auction.pk, accept_terms=True)
    Deposit.objects.filter(registration=registration).update(status=Deposit.Status.FORFEITED)
    Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.SOLD)
    reauction = Auction.objects.create(
        lot=lot,
        round_no=2,
        previous=auction,
        starting_price=auction.starting_price,
        increment=auction.increment,
        deposit=auction.deposit,
        announce_at=NOW,
        starts_at=NOW + timedelta(days=8),
        scheduled_end_at=NOW + timedelta(days=9),
        ends_at=NOW + timedelta(days=9),
        balance_due_at=NOW + timedelta(days=20),
        status=Auction.Status.ANNOUNCED,
    )
    error = refused("barred", charlie, reauction)
    assert error.data["reason"] == "defaulter"
    # The same person on another lot is welcome.
    other = make_round(factories.make_lot(lot.case))
    assert register_bidder(charlie, other.pk, accept_terms=True)


def test_bd5_priority_right_holder_gets_a_p_code_and_rank(auction, clerk):
    holder = factories.make_bidder("tenant")
    PriorityRight.objects.create(
        auction=auction,
        name="承租人",
        id_number_hash=holder.bidder.id_number_hash,
        id_number_masked="110105********1234",
        rank=2,
        confirmed_by=clerk.user,
        confirmed_at=NOW,
    )
    registration = register_bidder(holder, auction.pk, accept_terms=True)
    assert re.fullmatch(r"P\d{4}", registration.code) and registration.priority_rank == 2


def test_bd2_applicant_is_marked_and_pays_only_what_its_claim_does_not_cover(auction, case):
    applicant = applicant_creditor(case, 4_000)
    registration = register_bidder(applicant, auction.pk, accept_terms=True)
    assert registration.is_applicant
    assert registration.deposit.amount.amount == 6_000  # deposit ¥10,000 − claim ¥4,000


def test_anonymous_user_cannot_register(auction):
    refused("not_authenticated", AnonymousUser(), auction)


def _give_profile(user):
    """Court staff sign up as bidders like anyone else; BD4 is what stops them."""
    id_number = factories.valid_id_number(user.pk + 500)
    BidderProfile.objects.create(
        user=user,
        real_name="王五",
        id_number=id_number,
        id_number_hash=pii.lookup_hash(id_number),
        id_number_masked=pii.mask_id_number(id_number),
        phone="13900139000",
        phone_masked=pii.mask_phone("13900139000"),
    )
