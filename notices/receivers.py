"""Signal receivers: each hands one task to the queue and returns (they run after commit)."""

import logging

from django.dispatch import receiver

from bidding.events import round_event_recorded
from lots.signals import disposal_recorded

from . import tasks

log = logging.getLogger(__name__)


@receiver(disposal_recorded, dispatch_uid="notices.disposal")
def disposal_step(sender, record, **kwargs):
    tasks.notify_disposal(record.pk)


@receiver(round_event_recorded, dispatch_uid="notices.round_event")
def round_event(sender, auction_id, kind, seq, data, **kwargs):
    """Only bids matter here, and only from the second one (the first outbids nobody): one enqueue
    per bid, no query on the bid path."""
    if kind == "bid" and data.get("seq", 0) > 1:
        tasks.notify_outbid(auction_id, data["seq"])
