"""Deposits: the interface the bidding engine relies on (BD1, BD2).

`open_deposit` is called when a bidder registers; `deposit_secured` is asked under the auction lock
before every bid. Callers hold the registration's auction lock (global order Auction → Registration
→ Deposit).
"""

from decimal import Decimal

from django.db import transaction

from auctions import clock
from bidding.models import Registration
from lots.models import Party

from .models import Deposit


def applicant_deposit_due(deposit: Decimal, claim: Decimal | None) -> Decimal:
    """BD2: the applicant creditor bids without a deposit unless its claim is smaller than the
    deposit; then it pays the difference."""
    if claim is None:
        return deposit
    return max(deposit - claim, Decimal("0.00"))


def _applicant_claim(registration: Registration) -> Decimal | None:
    party = (
        Party.objects.filter(
            case=registration.auction.lot.case,
            role=Party.Role.APPLICANT,
            id_number_hash=registration.user.bidder.id_number_hash,
        )
        .exclude(claim_amount=None)
        .first()
    )
    return party.claim_amount.amount if party else None


@transaction.atomic
def open_deposit(registration: Registration) -> Deposit:
    """Creates the registration's deposit; an applicant whose claim covers it owes nothing (BD2)."""
    amount = registration.auction.deposit.amount
    if registration.is_applicant:
        amount = applicant_deposit_due(amount, _applicant_claim(registration))
    deposit = Deposit(registration=registration, amount=amount, status=Deposit.Status.PENDING)
    if amount == 0:
        deposit.status, deposit.provider, deposit.secured_at = Deposit.Status.SECURED, "exempt", clock.now()
    deposit.save()
    return deposit


def deposit_secured(registration: Registration) -> bool:
    """BD1: no deposit secured, no bid."""
    return Deposit.objects.filter(registration=registration, status=Deposit.Status.SECURED).exists()


@transaction.atomic
def pay_with_sandbox(deposit_id: int, user) -> Deposit:
    """The demo provider: secures a pending deposit of the user's own registration in one click."""
    deposit = (
        Deposit.objects.select_for_update().select_related("registration").get(pk=deposit_id, registration__user=user)
    )
    if deposit.status == Deposit.Status.PENDING:
        deposit.status, deposit.provider, deposit.secured_at = Deposit.Status.SECURED, "sandbox", clock.now()
        deposit.save(update_fields=["status", "provider", "secured_at"])
    return deposit
