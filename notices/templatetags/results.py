from django import template

from notices.result_presenters import notice

register = template.Library()


@register.inclusion_tag("results/_notice.html", takes_context=True)
def result_notice(context, auction, own_page=False):
    """The result notice of an ended round, on the lot page and on its own page."""
    user = getattr(context.get("request"), "user", None)
    result = notice(auction)
    is_buyer = bool(result and user and user.is_authenticated and result.buyer_user_id == user.pk)
    return {"notice": result, "is_buyer": is_buyer, "own_page": own_page}


@register.inclusion_tag("results/_console_round.html", takes_context=True)
def console_result(context, auction):
    """The court console's result card of a round: the confirmation and the delivery record (ST3)."""
    from django.utils import timezone

    from auctions import clock
    from lots.models import DisposalRecord
    from notices.models import Confirmation
    from notices.result_forms import DeliveryForm
    from payments.models import Settlement

    result = notice(auction)
    if result is None:
        return {"notice": None}
    confirmation = Confirmation.objects.filter(auction=auction).first()
    settlement = Settlement.objects.filter(auction=auction).first()
    delivered = DisposalRecord.objects.filter(auction=auction, kind=DisposalRecord.Kind.PROPERTY_DELIVERED).first()
    today = timezone.localtime(clock.now()).date()
    return {
        "auction": auction,
        "notice": result,
        "confirmation": confirmation,
        "settlement": settlement,
        "delivered": delivered,
        "can_deliver": bool(
            confirmation and settlement and settlement.status == Settlement.Status.PAID and not delivered
        ),
        "delivery_form": DeliveryForm(initial={"delivered_on": today}),
        "csrf_token": context.get("csrf_token"),
    }
