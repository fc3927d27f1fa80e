"""The deposit lifecycle: pending → secured → applied | released | forfeited, enforced in one place."""

import itertools

import pytest

from payments.models import Deposit, IllegalTransition

S = Deposit.Status
ALLOWED = {
    (S.PENDING, S.SECURED),
    (S.PENDING, S.RELEASED),
    (S.SECURED, S.APPLIED),
    (S.SECURED, S.RELEASED),
    (S.SECURED, S.FORFEITED),
    (S.APPLIED, S.FORFEITED),
}
ILLEGAL = sorted(set(itertools.product(S.values, S.values)) - ALLOWED)


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_allowed_transitions(old, new):
    Deposit.check_transition(old, new)


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_every_other_transition_is_refused(old, new):
    with pytest.raises(IllegalTransition):
        Deposit.check_transition(old, new)


def test_terminal_states_have_no_way_out():
    assert Deposit.TRANSITIONS[S.RELEASED] == frozenset()
    assert Deposit.TRANSITIONS[S.FORFEITED] == frozenset()


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_move_to_refuses_and_saves_nothing(alice, live_auction, old, new):
    deposit = Deposit.objects.get(registration__user=alice)
    Deposit.objects.filter(pk=deposit.pk).update(status=old)
    deposit.refresh_from_db()
    with pytest.raises(IllegalTransition):
        deposit.move_to(new, settled_at=None)
    deposit.refresh_from_db()
    assert deposit.status == old


def test_move_to_saves_the_status_and_the_changes(bob):
    deposit = Deposit.objects.get(registration__user=bob)
    deposit.move_to(S.SECURED, provider="sandbox")
    deposit.refresh_from_db()
    assert (deposit.status, deposit.provider) == (S.SECURED, "sandbox")
