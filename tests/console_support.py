"""Builders for the court console tests: a lot ready to schedule and lawful round terms."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from auctions import clock
from lots import services
from lots.models import Lot


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def draft_lot(case, actor, *, category=Lot.Category.VEHICLE, reference="100000", **fields) -> Lot:
    """A draft lot of `case` with an online-inquiry reference price fixed today."""
    lot = services.create_lot(
        case.court,
        actor,
        case=case,
        category=category,
        title=fields.pop("title", "奥迪A6L轿车一辆"),
        description=fields.pop("description", "2019年登记，行驶里程约8万公里。"),
        location=fields.pop("location", "北京市朝阳区某停车场"),
        **fields,
    )
    today = services.court_today()
    services.set_reference_price(
        lot, actor, method="online", value=Decimal(reference), valuation_date=today - timedelta(days=2)
    )
    return lot


def round_data(*, notice_days=16, hours=25, starting="80000", increment="1000", deposit="10000", **overrides):
    """Lawful first-round terms for a movable lot with a 100,000 reference price, as form strings."""
    announce = (clock.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    starts = announce + timedelta(days=notice_days)
    data = {
        "starting_price": starting,
        "increment": increment,
        "deposit": deposit,
        "announce_at": announce.isoformat(),
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "balance_due_at": (starts + timedelta(days=12)).isoformat(),
        "court_text": "",
    }
    data.update(overrides)
    return data


def round_kwargs(**overrides) -> dict:
    """The same terms as service keyword arguments (Decimal and datetime)."""
    data = round_data(**overrides)
    kwargs = {name: Decimal(data[name]) for name in ("starting_price", "increment", "deposit")}
    kwargs.update(
        {name: datetime.fromisoformat(data[name]) for name in ("announce_at", "starts_at", "ends_at", "balance_due_at")}
    )
    return kwargs
