"""The providers and how a court's offer of them is decided."""

from django.utils.translation import gettext_lazy as _

from ..interface import Gateway

LABELS = {
    "sandbox": _("演示支付（沙箱）"),
    "bank": _("银行转账"),
    "stripe": _("银行卡（Stripe）"),
}


def get_gateway(name: str) -> Gateway:
    if name == "sandbox":
        from .sandbox import SandboxGateway

        return SandboxGateway()
    if name == "bank":
        from .bank import BankTransferGateway

        return BankTransferGateway()
    if name == "stripe":
        from .stripe_api import StripeGateway

        return StripeGateway()
    raise KeyError(name)


def offered_providers(court) -> list[str]:
    """The court's own list when it has one, else the installation default (payments.conf)."""
    from .. import conf
    from ..models import CourtPaymentSettings

    own = CourtPaymentSettings.objects.filter(court=court).values_list("providers", flat=True).first()
    names = own or conf.default_providers()
    return [name for name in names if name in LABELS]
