"""The payments worker's jobs. Each claims its rows with a conditional UPDATE, like Healthchecks'
sendalerts, so several workers never do the same work twice; a failure pushes the row's next
attempt back instead of crashing the loop."""

import logging

from django.core.mail import send_mail
from django.db.models import F
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from auctions import clock

from .conf import CLAIM_LEASE
from .errors import PaymentError, ProviderError
from .models import Deposit, Payment, Settlement
from .rules import FIRST_RETRY, LONGEST_RETRY, retry_delay
from .services import drive_payment
from .settlement import release_deposit

log = logging.getLogger(__name__)
BATCH = 50


def _claim_deposit(pk: int, now) -> bool:
    claimed = Deposit.objects.filter(pk=pk, status__in=Deposit.OPEN_STATUSES, next_attempt_at__lte=now).update(
        next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1
    )
    return claimed == 1


def release_due(limit: int = BATCH) -> int:
    """ST2: releases the deposits whose release is due; returns how many were released."""
    now = clock.now()
    due = Deposit.objects.filter(
        status__in=Deposit.OPEN_STATUSES, release_due_by__isnull=False, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    released = 0
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if not _claim_deposit(pk, now):
            continue
        try:
            deposit = release_deposit(pk)
        except (PaymentError, ProviderError) as exc:
            _retry_later(pk, now, exc)
            continue
        except Exception as exc:  # one bad row must not stop the others' releases
            log.exception("releasing deposit %s failed", pk)
            _retry_later(pk, now, exc)
            continue
        released += deposit.status == Deposit.Status.RELEASED
    return released


def _retry_later(pk: int, now, exc: Exception) -> None:
    attempts = Deposit.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 1
    log.warning("release of deposit %s failed (attempt %s): %s", pk, attempts, exc)
    Deposit.objects.filter(pk=pk).update(next_attempt_at=now + retry_delay(attempts), last_error=str(exc)[:300])


def recheck_open_payments(limit: int = BATCH) -> int:
    """Asks providers about payments still open after a while: lost webhooks, crashes after a
    provider call, authorisations to capture, payments of rounds that ended to cancel."""
    now = clock.now()
    due = Payment.objects.filter(status__in=Payment.OPEN_STATUSES, next_check_at__lte=now).order_by("next_check_at")
    checked = 0
    for pk, created_at in list(due.values_list("pk", "created_at")[:limit]):
        # The older a payment still waiting for its payer, the less often it is asked about.
        delay = min(max(now - created_at, FIRST_RETRY), LONGEST_RETRY)
        if Payment.objects.filter(pk=pk, next_check_at__lte=now).update(next_check_at=now + delay) != 1:
            continue
        try:
            drive_payment(pk)
        except Exception:  # logged; the next check comes after the delay just set
            log.exception("re-checking payment %s failed", pk)
        checked += 1
    return checked


def notify_winners(limit: int = BATCH) -> int:
    """ST3: tells each winner the balance and its deadline, once."""
    now = clock.now()
    due = Settlement.objects.filter(status=Settlement.Status.AWAITING_BALANCE, winner_notified_at=None)
    sent = 0
    for settlement in list(due.select_related("winner__user", "auction__lot")[:limit]):
        if Settlement.objects.filter(pk=settlement.pk, winner_notified_at=None).update(winner_notified_at=now) != 1:
            continue
        user = settlement.winner.user
        if user.email:
            body = _(
                "您以 ¥%(price)s 竞得“%(title)s”。保证金 ¥%(applied)s 已抵作价款，"
                "请于 %(due)s 前支付尾款 ¥%(balance)s。"
            ) % {
                "price": settlement.price.amount,
                "title": settlement.auction.lot.title,
                "applied": settlement.deposit_applied.amount,
                "due": date_format(localtime(settlement.balance_due_at), "DATETIME_FORMAT"),
                "balance": settlement.balance.amount,
            }
            send_mail(_("竞买成交：请按期支付尾款"), body, None, [user.email], fail_silently=True)
        sent += 1
    return sent


def overdue_releases() -> list[int]:
    """Deposits past their ST2 deadline and still not released: logged loudly, shown to the court."""
    late = Deposit.objects.filter(status__in=Deposit.OPEN_STATUSES, release_due_by__lt=clock.now())
    ids = list(late.values_list("pk", flat=True))
    if ids:
        log.error("ST2: deposits %s are past their 24-hour release deadline", ids)
    return ids


def run_once() -> dict[str, int]:
    return {
        "released": release_due(),
        "payments_checked": recheck_open_payments(),
        "winners_notified": notify_winners(),
        "overdue": len(overdue_releases()),
    }
