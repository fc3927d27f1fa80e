"""When reminders are due: platform policy as pure functions (no I/O), tested at their boundaries."""

from datetime import datetime, timedelta

START_REMINDER_LEAD = timedelta(hours=1)  # "starting soon": within the hour before bidding starts
END_REMINDER_LEAD = timedelta(minutes=30)  # "ending soon": within the half hour before the end
# Balance reminders (ST3): three days and one day before the deadline; the nearer one wins.
BALANCE_REMINDER_LEADS = (timedelta(days=3), timedelta(days=1))
SWEEP_LOOKBACK = timedelta(days=1)  # registrations and deposit moves are announced for a day
OUTBID_LOOKBACK = timedelta(minutes=10)  # outbid notices a lost task missed are caught up this long


def due_before(target: datetime, lead: timedelta, now: datetime) -> bool:
    """A "before" reminder is due from `target - lead` (inclusive) until `target` (exclusive): a
    sweep that runs after the target stays silent rather than announce what already happened."""
    return target - lead <= now < target


def balance_reminder_stage(due_at: datetime, now: datetime) -> int | None:
    """Which balance reminder is due now, as whole days before the deadline (3 or 1), or None.
    Only the nearest stage is sent, so a late sweep never sends two at once."""
    if now >= due_at:
        return None
    for lead in sorted(BALANCE_REMINDER_LEADS):
        if due_at - lead <= now:
            return lead.days
    return None
