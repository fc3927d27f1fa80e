"""Idempotency-Key on court API creates: a retry gets the first answer, never a second row."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from lots import services
from lots.models import CourtStaff, EnforcementCase, IdempotencyRecord
from tests import factories

CASES = "/api/v1/court/cases"


@pytest.fixture
def judge(court):
    return factories.make_staff(court, username="judge", role=CourtStaff.Role.JUDGE)


@pytest.fixture
def token(court, clerk):
    return services.issue_api_token(court, clerk.user, "执行办案系统")[1]


def post(client, token, body, key=None, path=CASES):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def case_body(judge, number="（2024）京0105执501号") -> dict:
    return {"number": number, "cause": "借款合同纠纷", "filed_on": "2024-03-01", "judge": judge.pk}


@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_first_answer(client, token, judge):
    first = post(client, token, case_body(judge), key="retry-1")
    second = post(client, token, case_body(judge), key="retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert EnforcementCase.objects.count() == 1


@pytest.mark.django_db
def test_key_order_and_whitespace_do_not_make_a_different_request(client, token, judge):
    body = case_body(judge)
    first = post(client, token, body, key="retry-2")
    reordered = client.post(
        CASES,
        data=json.dumps(dict(reversed(list(body.items()))), indent=2),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-2"},
    )
    assert reordered.json() == first.json()


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_refused(client, token, judge):
    assert post(client, token, case_body(judge), key="reused").status_code == 201
    response = post(client, token, case_body(judge, "（2024）京0105执502号"), key="reused")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert EnforcementCase.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_refused(client, token, judge, court):
    assert post(client, token, case_body(judge), key="k").status_code == 201
    lot_body = {
        "case": EnforcementCase.objects.get().pk,
        "category": "other",
        "title": "t",
        "description": "d",
        "location": "l",
    }
    response = post(client, token, lot_body, key="k", path="/api/v1/court/lots")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(client, token, judge):
    bad = post(client, token, {**case_body(judge), "number": "bad"}, key="fix-and-retry")
    assert bad.status_code == 422
    assert not IdempotencyRecord.objects.exists()
    good = post(client, token, case_body(judge), key="fix-and-retry")
    assert good.status_code == 201


@pytest.mark.django_db
def test_keys_belong_to_one_court(client, token, judge, other_court, clerk_b):
    other_token = services.issue_api_token(other_court, clerk_b.user, "上海")[1]
    other_judge = factories.make_staff(other_court, role=CourtStaff.Role.JUDGE)
    assert post(client, token, case_body(judge), key="shared").status_code == 201
    response = post(client, other_token, case_body(other_judge, "（2024）沪0101执9号"), key="shared")
    assert response.status_code == 201 and response.json()["number"] == "（2024）沪0101执9号"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 101, "with space", "中文键"])
def test_malformed_keys_are_400(client, token, judge, key):
    response = post(client, token, case_body(judge), key=key)
    assert response.status_code == 400 and response.json()["code"] == "invalid_idempotency_key"
    assert not EnforcementCase.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_case_and_get_the_same_answer(token, judge):
    """Two retries race: the unique (court, key) claim makes one wait and replay the other's answer."""
    start = threading.Barrier(4)
    answers = []

    def retry():
        client = Client()
        start.wait()
        try:
            response = post(client, token, case_body(judge), key="race")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 4
    assert {status for status, _body in answers} == {201}
    assert len({json.dumps(body, sort_keys=True) for _status, body in answers}) == 1
    assert EnforcementCase.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
