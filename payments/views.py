"""The bidder's pages: deposits, refunds, amounts owed and receipts; paying a deposit or a balance."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auctions import clock

from . import conf, ledger, services
from .errors import PaymentError, ProviderError
from .forms import PayForm, add_payment_error
from .gateways import LABELS, get_gateway, offered_providers
from .models import BankTransfer, CourtPaymentSettings, Deposit, Payment, Refund, Settlement


def _labelled(payments) -> list[Payment]:
    payments = list(payments)
    for payment in payments:
        payment.label = LABELS.get(payment.provider, payment.provider)
    return payments


@login_required
def mine(request):
    now = clock.now()
    deposits = list(
        Deposit.objects.filter(registration__user=request.user)
        .select_related("registration__auction__lot", "refund")
        .order_by("-created_at")
    )
    held = ledger.held_by_deposit([d.pk for d in deposits])
    deposit_rows = [
        {
            "deposit": d,
            "auction": d.registration.auction,
            "held": held.get(d.pk, ledger.ZERO),
            "refund": getattr(d, "refund", None),
            "payable": services.deposit_refusal(d, now) is None,
        }
        for d in deposits
    ]
    balances = list(
        Settlement.objects.filter(winner__user=request.user).select_related("auction__lot").order_by("-created_at")
    )
    context = {
        "deposit_rows": deposit_rows,
        "owed_deposits": [row for row in deposit_rows if row["payable"]],
        "balances": [
            {"settlement": s, "payable": services.balance_refusal(s, now) is None}
            for s in balances
            if s.status == Settlement.Status.AWAITING_BALANCE
        ],
        "settled": [s for s in balances if s.status != Settlement.Status.AWAITING_BALANCE],
        "payments": _labelled(Payment.objects.filter(payer=request.user)),
        "refunds": Refund.objects.filter(payment__payer=request.user).select_related(
            "deposit__registration__auction__lot"
        ),
        "held_total": ledger.owed_to_bidder(request.user),
    }
    return render(request, "payments/mine.html", context)


def _pay(request, *, auction, amount, start, title, subject):
    """The shared pay page: choose a court's provider; the service checks everything again."""
    providers = offered_providers(auction.lot.court)
    demo = "sandbox" in providers and not getattr(settings, "PRODUCTION", False)
    initial = {"amount": f"{amount:.2f}", "currency": services.CURRENCY}
    form = PayForm(request.POST or None, initial=initial, providers=providers, demo=demo)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = start(data["provider"], data["amount"], data["currency"], decline=data.get("decline", False))
        except PaymentError as error:
            add_payment_error(form, error)
        else:
            return redirect("payments:payment", payment_id=payment.pk)
    context = {"form": form, "auction": auction, "amount": amount, "title": title, "subject": subject}
    return render(request, "payments/pay.html", context, status=400 if form.errors else 200)


@login_required
def pay_deposit(request, deposit_id):
    deposit = get_object_or_404(
        Deposit.objects.select_related("registration__auction__lot__court"),
        pk=deposit_id,
        registration__user=request.user,
    )
    if deposit.status != Deposit.Status.PENDING:
        messages.info(request, _("该保证金无需再支付"))
        return redirect("payments:mine")

    def start(provider, amount, currency, decline):
        return services.start_deposit_payment(deposit.pk, request.user, provider, amount, currency, decline=decline)

    auction = deposit.registration.auction
    return _pay(
        request, auction=auction, amount=deposit.amount.amount, start=start, title=_("交纳保证金"), subject=deposit
    )


@login_required
def pay_balance(request, settlement_id):
    settlement = get_object_or_404(
        Settlement.objects.select_related("auction__lot__court"), pk=settlement_id, winner__user=request.user
    )

    def start(provider, amount, currency, decline):
        return services.start_balance_payment(settlement.pk, request.user, provider, amount, currency, decline=decline)

    return _pay(
        request,
        auction=settlement.auction,
        amount=settlement.balance.amount,
        start=start,
        title=_("支付尾款"),
        subject=settlement,
    )


WITH_AUCTION = ("deposit__registration__auction__lot__court", "settlement__auction__lot__court")


def _own_payment(request, payment_id) -> Payment:
    return get_object_or_404(Payment.objects.select_related(*WITH_AUCTION), pk=payment_id, payer=request.user)


def _auction_of(payment: Payment):
    return payment.deposit.registration.auction if payment.deposit_id else payment.settlement.auction


@login_required
def payment_detail(request, payment_id):
    payment = _own_payment(request, payment_id)
    auction = _auction_of(payment)
    context = {"payment": payment, "auction": auction, "label": LABELS.get(payment.provider, payment.provider)}
    if payment.is_open and payment.provider == "bank":
        context["bank"] = CourtPaymentSettings.objects.filter(court=auction.lot.court).first()
    if payment.is_open and payment.provider == "stripe" and payment.provider_ref:
        try:
            context["client_secret"] = get_gateway("stripe").retrieve_payment(payment.provider_ref).client_secret
        except ProviderError:
            messages.error(request, _("支付服务暂时不可用，请稍后再试"))
        context["stripe_key"], context["stripe_js"] = conf.stripe_publishable_key(), conf.stripe_js_url()
    return render(request, "payments/payment.html", context)


@login_required
@require_POST
def payment_refresh(request, payment_id):
    """The payer is back from the card page: ask the provider now rather than wait for the webhook."""
    payment = _own_payment(request, payment_id)
    try:
        services.drive_payment(payment.pk)
    except PaymentError as error:
        messages.error(request, str(error))
    return redirect("payments:payment", payment_id=payment.pk)


@login_required
@require_POST
def payment_cancel(request, payment_id):
    payment = _own_payment(request, payment_id)
    try:
        services.cancel_payment(payment.pk, request.user)
    except PaymentError as error:
        messages.error(request, str(error))
    return redirect("payments:payment", payment_id=payment.pk)


@login_required
def receipt(request, reference):
    payment = get_object_or_404(Payment.objects.select_related(*WITH_AUCTION), reference=reference, payer=request.user)
    if payment.status != Payment.Status.SUCCEEDED:
        raise Http404
    bank = BankTransfer.objects.filter(payment=payment).first()
    context = {
        "payment": payment,
        "auction": _auction_of(payment),
        "label": LABELS.get(payment.provider, payment.provider),
        "bank_ref": bank.bank_ref if bank else "",
    }
    return render(request, "payments/receipt.html", context)
