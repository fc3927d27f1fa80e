"""Background tasks of the court webhooks (huey; `manage.py run_huey` runs them)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import webhooks


@db_task()
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a delivery; a failure schedules the next one with backoff."""
    webhooks.attempt(delivery_id)


@db_periodic_task(crontab(minute="*"))
def redeliver_webhooks() -> None:
    """Every minute: any pending delivery whose time has come (lost task, crashed worker)."""
    webhooks.redeliver_due()
