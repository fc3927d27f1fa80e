"""Template filters of the court console."""

from django import template

from auctions.announcements import yuan as format_yuan

register = template.Library()


@register.filter
def yuan(money) -> str:
    """¥1,234,567.00 in every language, as in the announcement text; "" for no amount."""
    return format_yuan(money) if money is not None else ""
