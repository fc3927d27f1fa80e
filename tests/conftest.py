"""Fixtures shared by the suite: personas, a live daphne server, the clock worker and a browser."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from bidding.services import known_registrations
from tests import factories
from tests.browser import browser  # noqa: F401  (fixture)
from tests.disposable import disposable_cluster, disposable_services  # noqa: F401  (fixtures)
from tests.servers import live_processes  # noqa: F401  (fixture)

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

# This process decides bids in a thread, where a test can watch the writer and move its clock; the
# daphne processes the tests start keep the configuration's default, a writer process.
settings.BID_WRITER = "thread"


def pytest_collection_modifyitems(config, items):
    """`services` tests (concurrency, several processes) run in the PostgreSQL + Redis pass;
    `backend_neutral` ones (they exercise no database or channel-layer behaviour of their own)
    run once, in the SQLite pass, which keeps `make test` short."""
    if ON_POSTGRES and settings.REDIS_URL:
        once = pytest.mark.skip(reason="backend-neutral: runs in the SQLite pass of `make test`")
        for item in items:
            if "backend_neutral" in item.keywords:
                item.add_marker(once)
        return
    skip = pytest.mark.skip(reason="runs in the PostgreSQL + Redis pass of `make test`")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup, django_db_blocker):
    """Background threads (the fan-out hub's executor) keep thread-local connections that the
    test teardown cannot close; PostgreSQL refuses to drop a database that still has sessions."""
    yield
    if ON_POSTGRES:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_inline():
    """Huey tasks run at enqueue time in the test process; a test that needs the real worker
    starts `run_huey` itself."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


# The suite creates hundreds of users: a fast password hash for the daphne and worker processes
# the tests start (they inherit this environment) and, through the fixture below, for this one.
os.environ["FAST_PASSWORD_HASHING"] = "1"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and the bid writer's known registrations are keyed by ids, and ids
    repeat from one test to the next."""
    cache.clear()
    known_registrations.kept.clear()


@pytest.fixture
def court(db):
    return factories.make_court(code="京0105", name="北京市朝阳区人民法院")


@pytest.fixture
def other_court(db):
    return factories.make_court(code="沪0101", name="上海市黄浦区人民法院")


@pytest.fixture
def clerk(court):
    return factories.make_staff(court, username="clerk")


@pytest.fixture
def clerk_b(other_court):
    return factories.make_staff(other_court, username="clerk_b")


@pytest.fixture
def case(court):
    return factories.make_case(court)


@pytest.fixture
def lot(case):
    return factories.make_lot(case)


@pytest.fixture
def live_auction(lot):
    return factories.make_auction(lot)


@pytest.fixture
def alice(live_auction):
    user = factories.make_bidder("alice", "艾丽丝")
    factories.register(live_auction, user, secured=True)
    return user


@pytest.fixture
def bob(live_auction):
    user = factories.make_bidder("bob", "鲍勃")
    factories.register(live_auction, user, secured=False)
    return user


@pytest.fixture
def dave(live_auction):
    user = factories.make_bidder("dave", "戴夫")
    factories.register(live_auction, user, secured=True)
    return user


@pytest.fixture
def charlie(db):
    return factories.make_bidder("charlie", "查理")
