"""Builders shared by the results tests: a buyer with a paid deposit, and a round the engine
itself bids on and closes (so the close hand-off runs as in production)."""

from payments import services
from payments.models import Deposit
from tests import factories
from tests.test_payments_support import close_round  # noqa: F401  (re-exported)


def buyer_with_deposit(auction, username: str, real_name: str):
    """A registered bidder whose deposit was paid through the sandbox (the ledger holds it)."""
    user = factories.make_bidder(username, real_name)
    registration = factories.register(auction, user, secured=False)
    deposit = Deposit.objects.get(registration=registration)
    services.start_deposit_payment(deposit.pk, user, "sandbox", deposit.amount.amount, "CNY")
    return user, registration


def pay_balance(auction, user):
    """The buyer pays the whole balance through the sandbox (ST3)."""
    from payments.models import Settlement

    settlement = Settlement.objects.get(auction=auction)
    return services.start_balance_payment(settlement.pk, user, "sandbox", str(settlement.balance.amount), "CNY")
