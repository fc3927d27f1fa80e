"""Exactly once under real concurrency (PostgreSQL): simultaneous clicks and several workers."""

import threading

import pytest
from django.db import connection

from payments import services, worker
from payments.errors import PaymentError
from payments.models import Deposit, LedgerTransaction, Payment, SandboxTransaction
from payments.reconcile import reconcile
from tests import factories
from tests.test_payments_support import close_round, paid_bidder

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def run_together(n: int, action) -> list:
    """Runs `action` in n threads released at the same instant; returns what each raised."""
    barrier, errors = threading.Barrier(n), []

    def run():
        barrier.wait()
        try:
            action()
        except PaymentError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_eight_simultaneous_clicks_charge_once():
    auction = factories.make_auction(factories.make_lot(factories.make_case(factories.make_court())))
    user = factories.make_bidder("tang", "唐")
    deposit = factories.register(auction, user, secured=False).deposit

    errors = run_together(8, lambda: services.start_deposit_payment(deposit.pk, user, "sandbox", "10000.00", "CNY"))
    assert {error.code for error in errors} <= {"not_payable"}
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SECURED
    assert SandboxTransaction.objects.count() == 1
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert LedgerTransaction.objects.count() == 1


def test_four_workers_release_each_deposit_once():
    auction = factories.make_auction(factories.make_lot(factories.make_case(factories.make_court())))
    for name in ("wu", "xu", "yan", "zou"):
        paid_bidder(auction, name)
    close_round(auction)

    run_together(4, worker.release_due)
    statuses = set(Deposit.objects.filter(registration__auction=auction).values_list("status", flat=True))
    assert statuses == {Deposit.Status.RELEASED}
    assert SandboxTransaction.objects.filter(kind="refund").count() == 4
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND_OUT).count() == 4
    assert reconcile() == []
