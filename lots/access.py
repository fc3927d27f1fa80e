"""Who may see and change which court's rows: every console lookup goes through these helpers.

A court's staff see only their own court. Another court's object and a missing one give the same
404, so ids reveal nothing. `lock=True` takes the row lock (only the main row, `of=("self",)`).
The `*_for_court` functions serve the court API, which knows the court from its token.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from auctions.models import Auction

from .models import Court, CourtApiToken, CourtStaff, EnforcementCase, Lot


def staff_of(user) -> CourtStaff | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return CourtStaff.objects.select_related("court").filter(user=user).first()


def staff_court(user) -> Court:
    """The court the user works for; PermissionDenied for anyone who is not court staff."""
    staff = staff_of(user)
    if staff is None:
        raise PermissionDenied
    return staff.court


def court_staff_required(view):
    """Signed in (else to the login page) and court staff (else 403); sets request.staff."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.staff = staff_of(request.user)
        if request.staff is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _locked(queryset, lock: bool):
    return queryset.select_for_update(of=("self",)) if lock else queryset


def case_for_court(court: Court, case_id) -> EnforcementCase:
    queryset = EnforcementCase.objects.select_related("court", "judge", "clerk")
    return get_object_or_404(queryset, pk=case_id, court=court)


def lot_for_court(court: Court, lot_id, lock: bool = False) -> Lot:
    queryset = _locked(Lot.objects.select_related("court", "case"), lock)
    return get_object_or_404(queryset, pk=lot_id, court=court)


def auction_for_court(court: Court, auction_id, lock: bool = False) -> Auction:
    queryset = _locked(Auction.objects.select_related("lot__court", "lot__case", "announcement"), lock)
    return get_object_or_404(queryset, pk=auction_id, lot__court=court)


def access_case(user, case_id) -> EnforcementCase:
    return case_for_court(staff_court(user), case_id)


def access_lot(user, lot_id, lock: bool = False) -> Lot:
    return lot_for_court(staff_court(user), lot_id, lock)


def access_auction(user, auction_id, lock: bool = False) -> Auction:
    return auction_for_court(staff_court(user), auction_id, lock)


def access_api_token(user, token_id) -> CourtApiToken:
    return get_object_or_404(CourtApiToken, pk=token_id, court=staff_court(user))
