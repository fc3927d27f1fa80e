"""Payment settings, read from Django settings first and the environment second."""

import os
from datetime import timedelta

from django.conf import settings


def setting(name: str, default: str = "") -> str:
    return getattr(settings, name, None) or os.environ.get(name, default)


def stripe_secret_key() -> str:
    return setting("STRIPE_SECRET_KEY")


def stripe_publishable_key() -> str:
    return setting("STRIPE_PUBLISHABLE_KEY")


def stripe_webhook_secret() -> str:
    return setting("STRIPE_WEBHOOK_SECRET")


def stripe_api_base() -> str:
    """Empty for the real API; tests point it at a local `localstripe`."""
    return setting("STRIPE_API_BASE")


def stripe_js_url() -> str:
    return setting("STRIPE_JS_URL", "https://js.stripe.com/v3/")


def default_providers() -> list[str]:
    """Offered by courts without their own settings: the sandbox (demo) and bank transfer, plus
    Stripe when its keys are configured. PAYMENTS_PROVIDERS="bank,stripe" overrides."""
    configured = setting("PAYMENTS_PROVIDERS")
    if configured:
        return [name.strip() for name in configured.split(",") if name.strip()]
    providers = ["bank"] if getattr(settings, "PRODUCTION", False) else ["sandbox", "bank"]
    return [*providers, "stripe"] if stripe_secret_key() else providers


def idempotency_prefix() -> str:
    """Keeps keys of two installations sharing one provider account apart."""
    return setting("PAYMENTS_KEY_PREFIX", "ja")


# ST2: released within 24 hours of the end; the worker aims for minutes.
RELEASE_WINDOW = timedelta(hours=24)
# A claimed release that has not finished within this lease is tried again.
CLAIM_LEASE = timedelta(minutes=5)
# A Stripe webhook signed longer ago than this is stale.
WEBHOOK_TOLERANCE_SECONDS = 300
