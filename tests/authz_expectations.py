"""Who may use which route: the one table the authorisation matrix (tests/test_authz_matrix.py)
checks every route against. A route that is in the URL configuration, the API schema or the socket
routing but not here fails the matrix, so a new route cannot be added without deciding who may use it.

Personas (docs/security.md):
- anonymous: nobody signed in
- bidder: a bidder registered for court A's live round with a secured deposit; owns the payment,
  refund, receipt and settlement the routes point at
- other_bidder: another registered bidder (no deposit) who owns none of those
- clerk_a: staff of court A, which owns every case, lot and round the routes point at
  (on the court API: court A's bearer token)
- clerk_b: staff of court B (on the court API: court B's bearer token)
- party: a party to court A's case, signed in on the party portal with its query code (no user
  account); other_party: a party to court B's case, signed in the same way
- superuser: Django superuser (the admin), not court staff

"Allowed" means the request reached the view's work (2xx, a redirect other than to a login page,
or a 4xx about the input such as 400/409/422); "denied" means 401, 403, 404 or a redirect to a
login page. Objects of another court or person answer 404, like missing ones.
"""

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
BIDDER = "bidder"
OTHER_BIDDER = "other_bidder"
CLERK_A = "clerk_a"
CLERK_B = "clerk_b"
PARTY = "party"
OTHER_PARTY = "other_party"
SUPERUSER = "superuser"
PERSONAS = (ANONYMOUS, BIDDER, OTHER_BIDDER, CLERK_A, CLERK_B, PARTY, OTHER_PARTY, SUPERUSER)

EVERYONE = frozenset(PERSONAS)
SIGNED_IN = frozenset({BIDDER, OTHER_BIDDER, CLERK_A, CLERK_B, SUPERUSER})  # holders of a user account
PARTY_A = frozenset({PARTY})  # the party whose case it is (portal session)
OWNER = frozenset({BIDDER})  # the bidder whose deposit, payment, settlement or registration it is
COURT_A = frozenset({CLERK_A})  # staff of the court that owns the object
ANY_COURT_STAFF = frozenset({CLERK_A, CLERK_B})  # pages that list the signed-in staff's own court
SUPERUSER_ONLY = frozenset({SUPERUSER})
NOBODY = frozenset()  # e.g. webhooks without a valid signature


@dataclass(frozen=True)
class Rule:
    """Who may use a route with `method`; `kwargs` names world objects for path parameters whose
    name alone is ambiguous; `body` is sent with unsafe methods; `deny_statuses` adds statuses
    that also mean "refused" (a webhook's 400 for a missing signature)."""

    allowed: frozenset
    method: str = "GET"
    kwargs: dict = field(default_factory=dict)
    body: dict | str | None = None
    deny_statuses: frozenset = frozenset()
    signs_out: bool = False  # its answer is a redirect to a sign-in page, for everyone
    note: str = ""


BID = '{"type": "bid", "amount": "81000", "client_bid_id": "m-1"}'

# --- Django URL patterns, keyed by the full route as `config.urls` composes it -----------------
URL_RULES: dict[str, Rule] = {
    # operations
    "healthz": Rule(EVERYONE),
    "metrics": Rule(EVERYONE, note="loopback or METRICS_TOKEN only; tested separately in test_security"),
    # site, language, sign-in
    "i18n/setlang/": Rule(EVERYONE, "POST", body={"language": "en"}),
    "accounts/login/": Rule(EVERYONE),
    "accounts/logout/": Rule(EVERYONE, "POST"),
    "accounts/password_change/": Rule(SIGNED_IN),
    "accounts/password_change/done/": Rule(SIGNED_IN),
    "accounts/password_reset/": Rule(EVERYONE),
    "accounts/password_reset/done/": Rule(EVERYONE),
    "accounts/reset/<uidb64>/<token>/": Rule(EVERYONE, note="the token decides; a wrong one shows a failure page"),
    "accounts/reset/done/": Rule(EVERYONE),
    "accounts/signup/": Rule(EVERYONE),
    # public site
    "": Rule(EVERYONE),
    "auctions/": Rule(EVERYONE),
    "auctions/<int:auction_id>/": Rule(EVERYONE),
    "auctions/<int:auction_id>/announcement/": Rule(EVERYONE),
    "auctions/<int:auction_id>/result/": Rule(
        NOBODY, note="public once the round ended; the world's round is live (404); tests/test_results_pages.py"
    ),
    "auctions/<int:auction_id>/result/confirmation.pdf": Rule(
        NOBODY, note="public copy of a sold round; the world's round is live (404); tests/test_results_pages.py"
    ),
    "auctions/<int:auction_id>/snapshot": Rule(EVERYONE),
    "auctions/<int:auction_id>/bids.json": Rule(EVERYONE),
    "auctions/<int:auction_id>/facts": Rule(EVERYONE),
    "courts/": Rule(EVERYONE),
    "courts/<str:code>/": Rule(EVERYONE, kwargs={"code": "court_code"}),
    "calendar/": Rule(EVERYONE),
    "open-data/": Rule(EVERYONE),
    "api/": Rule(NOBODY, note="django-ninja's root: 404 for everyone"),
    "api/openapi.json": Rule(EVERYONE),
    "api/docs": Rule(EVERYONE),
    "media/<path>": Rule(EVERYONE, note="development only (SERVE_MEDIA); uploads are public lot photos"),
    # bidders
    "auctions/<int:auction_id>/bids": Rule(OWNER, "POST", body=BID, note="registered bidder with a secured deposit"),
    "auctions/<int:auction_id>/register/": Rule(SIGNED_IN),
    "me/": Rule(SIGNED_IN),
    "me/confirmations/<int:auction_id>.pdf": Rule(OWNER, kwargs={"auction_id": "ended_auction_id"}),
    "me/live": Rule(SIGNED_IN),
    "me/deposits/<int:deposit_id>/sandbox-pay/": Rule(OWNER, "POST"),
    "payments/mine/": Rule(SIGNED_IN),
    "payments/deposits/<int:deposit_id>/pay/": Rule(OWNER),
    "payments/balances/<int:settlement_id>/pay/": Rule(OWNER),
    "payments/p/<int:payment_id>/": Rule(OWNER),
    "payments/p/<int:payment_id>/refresh/": Rule(OWNER, "POST"),
    "payments/p/<int:payment_id>/cancel/": Rule(OWNER, "POST"),
    "payments/receipts/<str:reference>/": Rule(OWNER),
    "payments/webhooks/stripe/": Rule(NOBODY, "POST", body="{}", deny_statuses=frozenset({400})),
    # court payment pages
    "payments/court/": Rule(ANY_COURT_STAFF),
    "payments/court/auctions/<int:auction_id>/": Rule(COURT_A),
    "payments/court/auctions/<int:auction_id>/deposits.csv": Rule(COURT_A),
    "payments/court/transfers/": Rule(ANY_COURT_STAFF),
    "payments/court/transfers/<int:payment_id>/confirm/": Rule(COURT_A, "POST"),
    "payments/court/refunds/<int:refund_id>/confirm/": Rule(COURT_A, "POST"),
    "payments/court/settlements/<int:settlement_id>/default/": Rule(COURT_A),
    "payments/court/forfeitures/": Rule(ANY_COURT_STAFF),
    # court console
    "console/": Rule(ANY_COURT_STAFF),
    "console/welcome/": Rule(EVERYONE, note="the console's sign-in landing page"),
    "console/cases/": Rule(ANY_COURT_STAFF),
    "console/cases/new/": Rule(ANY_COURT_STAFF),
    "console/cases/<int:case_id>/": Rule(COURT_A),
    "console/lots/": Rule(ANY_COURT_STAFF),
    "console/lots/new/": Rule(ANY_COURT_STAFF),
    "console/lots/<int:lot_id>/": Rule(COURT_A),
    "console/lots/<int:lot_id>/edit/": Rule(COURT_A),
    "console/lots/<int:lot_id>/photos/": Rule(COURT_A, "POST"),
    "console/lots/<int:lot_id>/documents/": Rule(COURT_A, "POST"),
    "console/lots/<int:lot_id>/draw/": Rule(COURT_A, "POST"),
    "console/lots/<int:lot_id>/reference-price/": Rule(COURT_A, "POST"),
    "console/lots/<int:lot_id>/rounds/new/": Rule(COURT_A),
    "console/rounds/<int:auction_id>/": Rule(COURT_A),
    "console/rounds/<int:auction_id>/edit/": Rule(COURT_A),
    "console/rounds/<int:auction_id>/confirm/": Rule(COURT_A, "POST"),
    "console/rounds/<int:auction_id>/publish/": Rule(COURT_A, "POST"),
    "console/rounds/<int:auction_id>/suspend/": Rule(COURT_A, "POST"),
    "console/rounds/<int:auction_id>/resume/": Rule(COURT_A, "POST"),
    "console/rounds/<int:auction_id>/amendments/": Rule(COURT_A, "POST"),
    "console/rounds/<int:auction_id>/reauction/": Rule(COURT_A),
    "console/rounds/<int:auction_id>/sale/": Rule(COURT_A),
    "console/rounds/<int:auction_id>/satisfaction/": Rule(COURT_A),
    "console/rounds/<int:auction_id>/withdraw/": Rule(COURT_A, "POST", note="without a reason: refused (FA5)"),
    "console/cases/<int:case_id>/stop-lots/": Rule(COURT_A),
    "console/rounds/<int:auction_id>/confirmation.pdf": Rule(COURT_A, kwargs={"auction_id": "ended_auction_id"}),
    "console/rounds/<int:auction_id>/delivery/": Rule(COURT_A, "POST", note="unsold: refused with a message (ST3)"),
    "console/webhooks/": Rule(ANY_COURT_STAFF),
    "console/webhooks/<int:endpoint_id>/disable/": Rule(COURT_A, "POST"),
    "console/webhooks/deliveries/<int:delivery_id>/retry/": Rule(COURT_A, "POST"),
    "console/api-tokens/": Rule(ANY_COURT_STAFF),
    "console/api-tokens/<int:token_id>/revoke/": Rule(COURT_A, "POST"),
    "console/audit/": Rule(ANY_COURT_STAFF, note="each court's staff see their own court's audit entries"),
    # court console: parties, query codes, measures, closing, messages (docs/portal.md)
    "console/cases/<int:case_id>/parties/": Rule(COURT_A),
    "console/cases/<int:case_id>/parties/<int:party_id>/code/": Rule(COURT_A, "POST"),
    "console/cases/<int:case_id>/codes/<int:code_id>/revoke/": Rule(COURT_A, "POST"),
    "console/cases/<int:case_id>/parties/<int:party_id>/end-agency/": Rule(COURT_A, "POST"),
    "console/cases/<int:case_id>/measures/": Rule(COURT_A, "POST"),
    "console/cases/<int:case_id>/close/": Rule(COURT_A, "POST"),
    "console/cases/<int:case_id>/messages/": Rule(COURT_A),
    "console/cases/<int:case_id>/messages/<int:party_id>/": Rule(COURT_A),
    "console/messages/": Rule(ANY_COURT_STAFF),
    # party portal: a query code, not a user account
    "portal/": Rule(EVERYONE),
    "portal/sign-out/": Rule(EVERYONE, "POST", signs_out=True),
    "portal/cases/<int:case_id>/": Rule(PARTY_A),
    "portal/cases/<int:case_id>/messages/": Rule(PARTY_A),
    # notifications and public notices (docs/notifications.md)
    "auctions/<int:auction_id>/reminder/": Rule(SIGNED_IN, "POST"),
    "auctions/<int:auction_id>/reminder/cancel/": Rule(SIGNED_IN, "POST"),
    "notices/": Rule(EVERYONE),
    "notices/atom.xml": Rule(EVERYONE),
    "notifications/": Rule(SIGNED_IN),
    "notifications/settings/": Rule(SIGNED_IN),
}

# The Django admin checks staff status for every page it has (AdminSite.admin_view); the matrix
# visits its index, and every registered model's list and add pages.
ADMIN_PREFIX = "admin/"
ADMIN_RULE = Rule(SUPERUSER_ONLY)

# --- The JSON API, keyed by "METHOD path" as the OpenAPI schema names it -----------------------
# Court endpoints take a court's bearer token: clerk_a and clerk_b call with their court's token,
# the other personas with their session cookie only (which the court API does not accept).
API_RULES: dict[str, Rule] = {
    "GET /api/v1/auctions": Rule(EVERYONE),
    "GET /api/v1/auctions/{auction_id}": Rule(EVERYONE),
    "GET /api/v1/auctions/{auction_id}/announcement": Rule(EVERYONE),
    "GET /api/v1/open-data/announcements.json": Rule(EVERYONE),
    "GET /api/v1/open-data/announcements.csv": Rule(EVERYONE),
    "GET /api/v1/open-data/results.json": Rule(EVERYONE),
    "GET /api/v1/open-data/results.csv": Rule(EVERYONE),
    "GET /api/v1/court/staff": Rule(ANY_COURT_STAFF),
    "POST /api/v1/court/cases": Rule(ANY_COURT_STAFF, "POST", body={}),
    "GET /api/v1/court/cases/{case_id}": Rule(COURT_A),
    "POST /api/v1/court/cases/{case_id}/parties": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/lots": Rule(ANY_COURT_STAFF, "POST", body={}),
    "GET /api/v1/court/lots/{lot_id}": Rule(COURT_A),
    "POST /api/v1/court/lots/{lot_id}/reference-prices": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/lots/{lot_id}/rounds": Rule(COURT_A, "POST", body={}),
    "GET /api/v1/court/rounds/{round_id}": Rule(COURT_A),
    "POST /api/v1/court/rounds/{round_id}/publish": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/cases/{case_id}/close": Rule(COURT_A, "POST", body={}),
    "GET /api/v1/court/rounds/{round_id}/next-steps": Rule(COURT_A),
    "POST /api/v1/court/rounds/{round_id}/reauction": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/rounds/{round_id}/sale": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/rounds/{round_id}/satisfaction": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/rounds/{round_id}/suspend": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/rounds/{round_id}/resume": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/rounds/{round_id}/withdraw": Rule(COURT_A, "POST", body={}),
    "POST /api/v1/court/cases/{case_id}/stop-remaining-lots": Rule(COURT_A, "POST", body={"costs": "999999999"}),
    "GET /api/v1/court/results": Rule(ANY_COURT_STAFF),
    "GET /api/v1/court/disposal-records": Rule(ANY_COURT_STAFF),
    "GET /api/v1/court/rounds/{auction_id}/confirmation": Rule(COURT_A, kwargs={"auction_id": "ended_auction_id"}),
    "POST /api/v1/court/rounds/{auction_id}/delivery": Rule(COURT_A, "POST", body={}),
    "GET /api/v1/court/webhooks": Rule(ANY_COURT_STAFF),
    "POST /api/v1/court/webhooks": Rule(ANY_COURT_STAFF, "POST", body={}),
    "POST /api/v1/court/webhooks/{endpoint_id}/disable": Rule(COURT_A, "POST", body={}),
}

# --- WebSocket routes (bidding/routing.py): who may watch, and who may bid ---------------------
SOCKET_RULES: dict[str, dict[str, frozenset]] = {
    "ws/auctions/<int:auction_id>/": {"watch": EVERYONE, "bid": OWNER},
}
