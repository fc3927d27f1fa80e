"""The court's payment pages: deposits per auction, bank-transfer confirmations, defaults and
forfeitures, totals and a CSV export. Staff see only their own court; anything else is a 404."""

import csv

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auctions import clock
from auctions.models import Auction
from bidding.identity_audit import record_identity_views
from bidding.models import IdentityView
from lots.access import court_staff_required
from lots.models import Party

from . import ledger, services, settlement
from .errors import PaymentError
from .forms import BankReceiptForm, DefaultForm, RefundExecutedForm, add_payment_error
from .gateways import LABELS
from .models import Deposit, Forfeiture, Payment, Refund, Settlement

OPEN_REFUNDS = (Refund.Status.CREATED, Refund.Status.PENDING)


def _court_auction(request, auction_id) -> Auction:
    return get_object_or_404(Auction.objects.select_related("lot__case"), pk=auction_id, lot__court=request.staff.court)


@court_staff_required
def court_index(request):
    court, now = request.staff.court, clock.now()
    auctions = list(
        Auction.objects.filter(lot__court=court, registrations__deposit__isnull=False)
        .annotate(
            deposits=Count("registrations__deposit", distinct=True),
            paid=Count(
                "registrations__deposit", filter=Q(registrations__deposit__secured_at__isnull=False), distinct=True
            ),
        )
        .select_related("lot", "settlement")
        .order_by("-ends_at")[:100]
    )
    totals = ledger.totals_by_auction([a.pk for a in auctions])
    court_deposits = Deposit.objects.filter(registration__auction__lot__court=court)
    context = {
        "rows": [
            {"auction": a, "totals": totals[a.pk], "settlement": getattr(a, "settlement", None)} for a in auctions
        ],
        "escrow": ledger.escrow_balance(court),
        "pending_transfers": services.court_payments(court)
        .filter(provider="bank", status__in=Payment.OPEN_STATUSES)
        .count(),
        "pending_refunds": Refund.objects.filter(
            provider="bank", status__in=OPEN_REFUNDS, deposit__registration__auction__lot__court=court
        ).count(),
        "overdue": court_deposits.filter(status__in=Deposit.OPEN_STATUSES, release_due_by__lt=now).count(),
        "defaults_due": Settlement.objects.filter(
            auction__lot__court=court, status=Settlement.Status.AWAITING_BALANCE, balance_due_at__lt=now
        ).select_related("auction__lot"),
    }
    return render(request, "payments/court/index.html", context)


def _deposit_rows(auction: Auction) -> list[dict]:
    """BD3: the court sees who is behind a code only after the end."""
    deposits = list(
        Deposit.objects.filter(registration__auction=auction)
        .select_related("registration__user__bidder", "refund")
        .order_by("registration__code")
    )
    held = ledger.held_by_deposit([d.pk for d in deposits])
    ended = auction.status in Auction.ENDED_STATUSES
    rows = []
    for deposit in deposits:
        profile = getattr(deposit.registration.user, "bidder", None)
        rows.append(
            {
                "deposit": deposit,
                "code": deposit.registration.code,
                "bidder": f"{profile.real_name}（{profile.id_number_masked}）" if ended and profile else "",
                "held": held.get(deposit.pk, ledger.ZERO),
                "refund": getattr(deposit, "refund", None),
                "provider": LABELS.get(deposit.provider, deposit.provider),
                "overdue": deposit.status in Deposit.OPEN_STATUSES
                and deposit.release_due_by is not None
                and deposit.release_due_by < clock.now(),
            }
        )
    return rows


def _audited_rows(request, auction: Auction, purpose: str) -> list[dict]:
    """The deposit rows; the bidders whose identity they show are written to the audit log."""
    rows = _deposit_rows(auction)
    record_identity_views(
        actor=request.user,
        court=request.staff.court,
        auction=auction,
        subjects=[row["deposit"].registration.user for row in rows if row["bidder"]],
        purpose=purpose,
        path=request.path,
    )
    return rows


@court_staff_required
def court_auction(request, auction_id):
    auction = _court_auction(request, auction_id)
    context = {
        "auction": auction,
        "ended": auction.status in Auction.ENDED_STATUSES,
        "rows": _audited_rows(request, auction, IdentityView.Purpose.DEPOSITS_PAGE),
        "totals": ledger.auction_totals(auction),
        "settlement": Settlement.objects.filter(auction=auction).select_related("winner").first(),
        "forfeiture": Forfeiture.objects.filter(settlement__auction=auction).first(),
        "payments": Payment.objects.filter(Q(deposit__registration__auction=auction) | Q(settlement__auction=auction))
        .select_related("deposit__registration", "settlement__winner")
        .order_by("-created_at"),
        "now": clock.now(),
    }
    return render(request, "payments/court/auction.html", context)


@court_staff_required
def court_auction_csv(request, auction_id):
    auction = _court_auction(request, auction_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="deposits-{auction.pk}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the Chinese headers as UTF-8
    writer = csv.writer(response)
    headers = [_("竞买号"), _("竞买人"), _("状态"), _("金额"), _("支付方式"), _("付款编号")]
    writer.writerow([*headers, _("交纳时间"), _("当前保管"), _("退款状态"), _("最迟退还时间")])

    def when(value):
        return localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    for row in _audited_rows(request, auction, IdentityView.Purpose.DEPOSITS_CSV):
        deposit, refund = row["deposit"], row["refund"]
        writer.writerow(
            [
                row["code"],
                row["bidder"],
                deposit.get_status_display(),
                f"{deposit.amount.amount:.2f}",
                row["provider"],
                deposit.provider_ref,
                when(deposit.secured_at),
                f"{row['held']:.2f}",
                refund.get_status_display() if refund else "",
                when(deposit.release_due_by),
            ]
        )
    return response


def _transfer_page(request, bound=None, status=200):
    """Bank payments waiting for a clerk to match the statement, and refunds waiting to be sent.
    `bound` is (kind, id, form) for the row whose form failed, shown with its errors."""
    court = request.staff.court
    kind, bound_id, bound_form = bound or (None, None, None)
    payments = (
        services.court_payments(court)
        .filter(provider="bank", status__in=Payment.OPEN_STATUSES)
        .select_related("deposit__registration__auction__lot", "settlement__auction__lot", "settlement__winner")
    )
    refunds = Refund.objects.filter(
        provider="bank", status__in=OPEN_REFUNDS, deposit__registration__auction__lot__court=court
    ).select_related("deposit__registration__auction__lot", "payment")
    context = {
        "payments": [
            (p, bound_form if (kind, bound_id) == ("payment", p.pk) else BankReceiptForm(prefix=f"p{p.pk}"))
            for p in payments
        ],
        "refunds": [
            (r, bound_form if (kind, bound_id) == ("refund", r.pk) else RefundExecutedForm(prefix=f"r{r.pk}"))
            for r in refunds
        ],
    }
    return render(request, "payments/court/transfers.html", context, status=status)


@court_staff_required
def court_transfers(request):
    return _transfer_page(request)


@court_staff_required
@require_POST
def confirm_transfer(request, payment_id):
    get_object_or_404(services.court_payments(request.staff.court), pk=payment_id, provider="bank")
    form = BankReceiptForm(request.POST, prefix=f"p{payment_id}")
    if form.is_valid():
        try:
            payment = services.confirm_bank_transfer(
                payment_id, request.user, form.cleaned_data["amount"], form.cleaned_data["bank_ref"]
            )
        except PaymentError as error:
            add_payment_error(form, error)
        else:
            messages.success(request, _("已确认到账：%(reference)s") % {"reference": payment.reference})
            return redirect("payments:court_transfers")
    return _transfer_page(request, ("payment", payment_id, form), status=400)


@court_staff_required
@require_POST
def confirm_refund(request, refund_id):
    get_object_or_404(
        Refund, pk=refund_id, provider="bank", deposit__registration__auction__lot__court=request.staff.court
    )
    form = RefundExecutedForm(request.POST, prefix=f"r{refund_id}")
    if form.is_valid():
        try:
            settlement.confirm_bank_refund(refund_id, request.user, form.cleaned_data["bank_ref"])
        except PaymentError as error:
            add_payment_error(form, error)
        else:
            messages.success(request, _("已确认退款"))
            return redirect("payments:court_transfers")
    return _transfer_page(request, ("refund", refund_id, form), status=400)


def _applicant_claims(auction: Auction):
    total = Party.objects.filter(case=auction.lot.case, role=Party.Role.APPLICANT).aggregate(s=Sum("claim_amount"))
    return total["s"]


@court_staff_required
def court_default(request, settlement_id):
    """ST4: the court confirms a buyer's default after the balance deadline."""
    record = get_object_or_404(
        Settlement.objects.select_related("auction__lot__case", "winner"),
        pk=settlement_id,
        auction__lot__court=request.staff.court,
    )
    claims = _applicant_claims(record.auction)
    form = DefaultForm(request.POST or None, initial={"debt": f"{claims:.2f}" if claims else ""})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            settlement.confirm_default(
                record.pk,
                request.user,
                resale_costs=data["resale_costs"],
                shortfall=data["shortfall"],
                debt=data["debt"],
                reason=data["reason"],
            )
        except PaymentError as error:
            add_payment_error(form, error)
        else:
            messages.success(request, _("已认定悔拍，保证金不予退还"))
            return redirect("payments:court_auction", auction_id=record.auction_id)
    context = {"settlement": record, "form": form, "overdue": clock.now() > record.balance_due_at}
    return render(request, "payments/court/default.html", context, status=400 if form.errors else 200)


@court_staff_required
def court_forfeitures(request):
    forfeitures = Forfeiture.objects.filter(settlement__auction__lot__court=request.staff.court).select_related(
        "settlement__auction__lot", "deposit__registration", "confirmed_by__court_staff"
    )
    return render(request, "payments/court/forfeitures.html", {"forfeitures": forfeitures})
