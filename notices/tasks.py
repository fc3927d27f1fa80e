"""Background tasks (huey; `manage.py run_huey` runs them): every notification is written and sent
after the commit of what it announces, retried with backoff, and idempotent by its key
(notices/services.py); the court webhooks are sent from their outbox (notices/webhooks.py)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from auctions import clock

from . import services, triggers, webhooks

log = logging.getLogger(__name__)

# Email: 30 s, 1 min, 2 min, 4 min, 8 min, 16 min — an SMTP relay down for half an hour loses nothing.
EMAIL_RETRIES, EMAIL_RETRY_DELAY, BACKOFF = 6, 30, 2


@db_task(retries=EMAIL_RETRIES, retry_delay=EMAIL_RETRY_DELAY, retry_backoff=BACKOFF)
def send_notification_email(notification_id: int) -> bool:
    return services.deliver_email(notification_id)


@db_task(retries=4, retry_delay=10, retry_backoff=BACKOFF)
def notify_disposal(record_id: int) -> None:
    triggers.on_disposal(record_id)


@db_task(retries=4, retry_delay=5, retry_backoff=BACKOFF)
def notify_outbid(*bids: tuple[int, int]) -> None:
    """Outbid notices for bids queued together (notices/receivers.py), each (round id, bid seq).
    Written once each (a notice's key names its bid), so a retry after a failure part-way through
    sends no notice twice."""
    for auction_id, seq in bids:
        triggers.on_bid(auction_id, seq)


@db_periodic_task(crontab(minute="*"))
def sweep_notices() -> None:
    """Registrations, deposit moves, starting and ending soon, balance due and reminders."""
    triggers.sweep(clock.now())


@db_task()
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a court webhook delivery; a failure schedules the next one with backoff."""
    webhooks.attempt(delivery_id)


@db_periodic_task(crontab(minute="*"))
def redeliver_webhooks() -> None:
    """Every minute: any pending webhook delivery whose time has come (lost task, crashed worker)."""
    webhooks.redeliver_due()
