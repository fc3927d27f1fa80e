from django import template

from auctions import clock

from .. import services
from ..models import ReminderSubscription

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The nav badge: one COUNT query per page for signed-in users, none for visitors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return services.unread_count(user) if user is not None else 0


@register.inclusion_tag("notices/_reminder_box.html", takes_context=True)
def reminder_box(context, auction):
    """设置提醒 on the lot page: the subscriber count, and the button (or its state) for this user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    subscribed = bool(
        user and user.is_authenticated and ReminderSubscription.objects.filter(user=user, auction=auction).exists()
    )
    return {
        "auction": auction,
        "count": services.reminder_count(auction.pk),
        "subscribed": subscribed,
        "open": services.subscribable(auction, clock.now()),
        "csrf_token": context.get("csrf_token"),
        "authenticated": bool(user and user.is_authenticated),
    }
