"""`yuan`: amounts on the bidder pages written as the public pages and the live panel write them."""

from django import template

from auctions.presenters import yuan

register = template.Library()


@register.filter(name="yuan")
def yuan_filter(money) -> str:
    """¥80,000.00 from a Money or a Decimal; "—" for none."""
    return yuan(getattr(money, "amount", money))
