"""The court console's pages for the next lawful steps (auctions/steps.py): re-auction after 流拍 or
悔拍 (FA1, ST4), 变卖 (FA2), 以物抵债 (FA3), withdrawal (FA5) and stopping a covered debt's
remaining lots (FA6). Thin views: rows through lots/access.py (another court's id is a 404), the
shared forms of auctions/forms.py validate, a service acts and records the step (PD5)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from djmoney.money import Money

from lots.access import access_auction, access_case, court_staff_required
from lots.views import save_posted

from . import lifecycle, rules, services, steps
from .forms import ReasonForm, ReauctionForm, SaleForm, SatisfactionForm, StopLotsForm


def _render(request, template: str, form, context: dict):
    return render(request, template, {"form": form, **context}, status=400 if form.is_bound else 200)


@court_staff_required
def reauction(request, auction_id):
    """FA1: 安排重新拍卖 after 流拍 (within 30 days, PR2, AN2), or ST4 after a confirmed default."""
    previous = access_auction(request.user, auction_id)
    form = ReauctionForm(request.POST or None, court=request.staff.court, previous=previous)
    auction = save_posted(request, form, _("重新拍卖已排期，公告将于设定时间发布。"))
    if auction is not None:
        return redirect("console:round_detail", auction.id)
    context = {
        "previous": previous,
        "lot": previous.lot,
        "after_default": services.defaulted(previous),
        "deadline": rules.reauction_deadline(services.failed_on(previous))
        if previous.status == previous.Status.FAILED
        else None,
        "lowest": Money(rules.percent_of(previous.starting_price.amount, 1 - rules.REAUCTION_MAX_CUT), "CNY"),
    }
    return _render(request, "console/steps/reauction.html", form, context)


@court_staff_required
def sale(request, auction_id):
    """FA2: 变卖 at the failed re-auction's starting price, for 60 days, paid in full up front."""
    previous = access_auction(request.user, auction_id)
    form = SaleForm(request.POST or None, court=request.staff.court, previous=previous)
    auction = save_posted(request, form, _("变卖已排期，公告将于设定时间发布。"))
    if auction is not None:
        return redirect("console:round_detail", auction.id)
    context = {"previous": previous, "lot": previous.lot, "days": rules.SALE_PERIOD.days}
    return _render(request, "console/steps/sale.html", form, context)


@court_staff_required
def satisfaction(request, auction_id):
    """FA3: the applicant takes the lot at the failed round's starting price (以物抵债)."""
    auction = access_auction(request.user, auction_id)
    form = SatisfactionForm(request.POST or None, court=request.staff.court, auction=auction)
    if save_posted(request, form, _("已以物抵债，处置记录已更新。")) is not None:
        return redirect("console:lot_detail", auction.lot_id)
    return _render(request, "console/steps/satisfaction.html", form, {"auction": auction, "lot": auction.lot})


@require_POST
@court_staff_required
def withdraw(request, auction_id):
    """FA5: withdraws a round with a published reason; every deposit is released."""
    auction = access_auction(request.user, auction_id)
    form = ReasonForm(request.POST, court=request.staff.court, auction=auction, act=lifecycle.withdraw_round)
    if save_posted(request, form, _("拍卖已撤回，保证金将全部退还。")) is None:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return redirect("console:round_detail", auction.id)


@court_staff_required
def stop_lots(request, case_id):
    """FA6: once the proceeds cover the debt and costs, the case's remaining lots stop."""
    case = access_case(request.user, case_id)
    form = StopLotsForm(request.POST or None, court=request.staff.court, case=case)
    if save_posted(request, form, _("其余标的物已停止处置。")) is not None:
        return redirect("console:case_detail", case.id)
    context = {
        "case": case,
        "collected": Money(steps.collected(case), "CNY"),
        "debt": Money(debt, "CNY") if (debt := steps.claimed_debt(case)) is not None else None,
        "lots": list(steps.remaining_lots(case)),
    }
    return _render(request, "console/steps/stop_lots.html", form, context)
