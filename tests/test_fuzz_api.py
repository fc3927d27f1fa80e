"""Property-based fuzzing of the JSON API from its own OpenAPI schema (schemathesis, in process
through the WSGI application): for every operation, generated valid and invalid requests never
get a 5xx, and every response matches the schema (status code, content type, body).

Court operations are called with a court's bearer token over a small world (a court with a case,
a lot and a published round), so generated ids sometimes hit real rows. Examples are bounded so
the module runs in about a minute."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from lots import services as lot_services
from tests import factories
from tests.test_public_support import published_round

# The API contract does not depend on the database backend: checked once.
pytestmark = pytest.mark.backend_neutral

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
EXAMPLES = 15
# "Schema-valid request rejected": the schema cannot state every rule the services enforce (a
# category must be one of the lot categories, a price range must not be reversed, a round must
# start after its notice period), so a schema-valid request may rightly get a 400 or 422 with
# field errors. Every other check runs: no 5xx, documented status codes, content types, bodies,
# headers, and schema-invalid requests rejected.
# "Schema-violating request accepted": django-ninja ignores query parameters it does not know, by
# design, and the court token is always supplied, so a generated request "without Authorization"
# is not one; negative cases still run, for the no-5xx and response checks.
EXCLUDED = [positive_data_acceptance, negative_data_rejection]


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: the WSGI handler must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def court_token(db, settings, keep_test_connection):
    settings.PUBLIC_API_RATE = "1000000/m"
    settings.COURT_API_RATE = "1000000/m"
    court = factories.make_court(code="京0105")
    clerk = factories.make_staff(court, username="clerk")
    lot = factories.make_lot(factories.make_case(court))
    published_round(lot)
    _token, plaintext = lot_services.issue_api_token(court, clerk.user, "执行办案系统")
    return plaintext


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_operation_fuzzed(case, court_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {court_token}"}, excluded_checks=EXCLUDED)
