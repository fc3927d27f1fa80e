"""seed_demo: every round state, created through the services, and a second run changes nothing."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from auctions.models import Auction
from lots.models import Court, Lot
from tests.console_support import media_root  # noqa: F401


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_seed_demo_covers_every_state_and_is_idempotent(media_root):  # noqa: F811
    call_command("seed_demo", stdout=io.StringIO())
    first = row_counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert row_counts() == first
    assert Court.objects.values("region").distinct().count() >= 3
    statuses = set(Auction.objects.values_list("status", flat=True))
    assert statuses >= set(Auction.Status.values)
    assert set(Lot.objects.values_list("category", flat=True)) == set(Lot.Category.values)
    second = Auction.objects.get(round_no=2)
    assert second.previous.status == Auction.Status.FAILED and second.status == Auction.Status.SCHEDULED
    assert all(a.announcement.is_published for a in Auction.objects.filter(status__in=Auction.PUBLIC_STATUSES))
