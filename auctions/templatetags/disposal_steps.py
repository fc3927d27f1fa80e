"""{% next_steps auction as steps %}: what the court may do next with a round (auctions/steps.py)."""

from django import template

from auctions import steps

register = template.Library()


@register.simple_tag
def next_steps(auction):
    return steps.next_steps(auction)
