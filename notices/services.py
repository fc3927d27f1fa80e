"""Notifications and reminder subscriptions: the one way their rows change.

`notify` writes a notification once per key (a retry or a second trigger finds the first row),
honours the recipient's preferences and hands email to a background task after commit.
`deliver_email` sends one notification's email at most once: it claims the row with a
conditional UPDATE, sends, and records the outcome; a failure puts the row back for the retry.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from auctions import clock
from auctions.models import Auction

from .messages import render
from .models import BIDDER_KINDS, EMAIL_OFF_BY_DEFAULT, Kind, Notification, Preference, ReminderSubscription

log = logging.getLogger(__name__)

Email = Notification.Email


class ReminderError(Exception):
    """A subscription refused; `code` for clients, `message` for people."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code, self.message = code, message


# --- Sending ------------------------------------------------------------------------------------
def preference_for(user) -> Preference:
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def notify(kind: str, key: str, *, user=None, party=None, auction: Auction | None = None, **params) -> Notification:
    """Writes the notification `key` once, for a user (site and email, as they chose) or a party
    (email only, when an address is on file). Returns the existing row when `key` is known."""
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if user is not None:
        preference = preference_for(user)
        in_site = preference.wants_site(kind)
        wants_email = preference.wants_email(kind) and bool(user.email)
    else:
        in_site = False
        wants_email = bool(party is not None and party.email)
    notification = Notification(
        key=key,
        kind=kind,
        user=user,
        party=party,
        auction=auction,
        params=params,
        created_at=clock.now(),
        in_site=in_site,
        email=Email.PENDING if wants_email else Email.NONE,
    )
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:  # the same key written meanwhile by another worker
        return Notification.objects.get(key=key)
    if wants_email:
        from .tasks import send_notification_email

        pk = notification.pk
        transaction.on_commit(lambda: send_notification_email(pk), robust=True)
    return notification


def _recipient_address(notification: Notification) -> str:
    if notification.user_id is not None:
        return notification.user.email
    if notification.party_id is not None:
        return notification.party.email or ""
    return ""


def deliver_email(notification_id: int) -> bool:
    """Sends one notification's email, at most once. True when sent now or before; raises when the
    backend fails, after putting the row back, so the task retries with backoff."""
    claimed = Notification.objects.filter(pk=notification_id, email__in=(Email.PENDING, Email.FAILED)).update(
        email=Email.SENDING, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return Notification.objects.filter(pk=notification_id, email=Email.SENT).exists()
    notification = Notification.objects.select_related("user", "party").get(pk=notification_id)
    address = _recipient_address(notification)
    if not address:
        Notification.objects.filter(pk=notification_id).update(email=Email.NONE)
        return False
    with translation.override(settings.LANGUAGE_CODE):
        text = render(notification.kind, notification.params)
        footer = str(_("此邮件由网络司法拍卖平台自动发送，请勿回复。可在“通知设置”中选择接收哪些通知。"))
    try:
        send_mail(text.title, f"{text.body}\n\n{footer}", None, [address])
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(email=Email.FAILED, last_error=str(exc)[:300])
        raise
    Notification.objects.filter(pk=notification_id).update(email=Email.SENT, emailed_at=clock.now(), last_error="")
    return True


# --- Reading ------------------------------------------------------------------------------------
def site_notifications(user):
    return Notification.objects.filter(user=user, in_site=True).select_related("auction")


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, in_site=True, read_at=None).count()


def mark_all_read(user) -> int:
    return Notification.objects.filter(user=user, in_site=True, read_at=None).update(read_at=clock.now())


def save_preferences(user, *, site: set[str], email: set[str]) -> Preference:
    """Stores which kinds the user wants in the site and by email (the settings page's choices)."""
    kinds = [str(kind) for kind in BIDDER_KINDS]
    preference = preference_for(user)
    preference.site_off = [k for k in kinds if k not in site]
    preference.email_off = [k for k in kinds if k not in email and k not in EMAIL_OFF_BY_DEFAULT]
    preference.email_on = [k for k in kinds if k in email and k in EMAIL_OFF_BY_DEFAULT]
    preference.save()
    return preference


# --- Reminder subscriptions (设置提醒) ------------------------------------------------------------
@dataclass(frozen=True)
class Subscribed:
    subscription: ReminderSubscription
    created: bool


def subscribable(auction: Auction, now) -> bool:
    """A reminder makes sense while the round is announced, live or suspended and has not ended."""
    return auction.status in Auction.OPEN_STATUSES and now < auction.ends_at


def subscribe_reminder(user, auction_id: int) -> Subscribed:
    """设置提醒: the user hears before the round starts and before it ends. A second call returns
    the first subscription (created=False). Refused for rounds that have ended or are not public."""
    from auctions.presenters import public_auctions

    if user is None or not user.is_authenticated:
        raise ReminderError("not_authenticated", _("请先登录"))
    now = clock.now()
    auction = public_auctions(now).filter(pk=auction_id).first()
    if auction is None:
        raise ReminderError("not_found", _("没有这场拍卖"))
    existing = ReminderSubscription.objects.filter(user=user, auction=auction).first()
    if existing is not None:
        return Subscribed(existing, False)
    if not subscribable(auction, now):
        raise ReminderError("auction_ended", _("本场拍卖已结束，不能设置提醒"))
    try:
        with transaction.atomic():
            subscription = ReminderSubscription.objects.create(user=user, auction=auction, created_at=now)
    except IntegrityError:  # a double click raced the first request
        return Subscribed(ReminderSubscription.objects.get(user=user, auction=auction), False)
    return Subscribed(subscription, True)


def unsubscribe_reminder(user, auction_id: int) -> bool:
    deleted, _rows = ReminderSubscription.objects.filter(user=user, auction_id=auction_id).delete()
    return bool(deleted)


def reminder_count(auction_id: int) -> int:
    return ReminderSubscription.objects.filter(auction_id=auction_id).count()


__all__ = [
    "Kind",
    "ReminderError",
    "deliver_email",
    "mark_all_read",
    "notify",
    "save_preferences",
    "subscribe_reminder",
    "unread_count",
    "unsubscribe_reminder",
]
