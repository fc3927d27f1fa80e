"""Defences of issue 8 (docs/security.md): sign-in throttling, API rate limits, CSRF, the socket
origin check, the Content-Security-Policy, production settings (`check --deploy`, secure cookies,
HSTS, secrets only from the environment) and personal data kept out of logs."""

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client

from bidding.models import BidderProfile
from config.logging import RedactPersonalData, logging_config, redact
from lots import services as lot_services
from tests import factories

ROOT = Path(settings.BASE_DIR)
ID_NUMBER = factories.valid_id_number(417)
PHONE = "13912345678"


# --- Sign-in throttling -----------------------------------------------------------------------
def _fail(client, username="alice"):
    return client.post("/accounts/login/", {"username": username, "password": "wrong"})


def test_login_throttled_after_five_failures_per_username(alice, settings):
    client = Client()
    for _ in range(6):
        assert _fail(client).status_code == 200  # the form again, with its error
    refused = _fail(client)
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.content.decode()
    # Past the budget even the right password is not checked.
    assert client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"}).status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_budget_is_per_username_and_ignores_case(alice, charlie):
    client = Client()
    for _ in range(6):
        _fail(client, username="ALICE")
    assert _fail(client, username="alice").status_code == 429
    ok = client.post("/accounts/login/", {"username": "charlie", "password": "pw-charlie"})
    assert ok.status_code == 302


def test_successful_sign_ins_are_never_counted(alice):
    for _ in range(10):
        client = Client()
        assert client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"}).status_code == 302


def test_login_throttled_per_address_across_usernames(db, settings):
    settings.LOGIN_FAILURE_RATE_PER_IP = "3/15m"
    client = Client()
    for n in range(4):
        assert _fail(client, username=f"guess{n}").status_code == 200
    assert _fail(client, username="another").status_code == 429


def test_admin_sign_in_shares_the_budget(db):
    client = Client()
    for _ in range(6):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    assert client.post("/admin/login/", {"username": "root", "password": "wrong"}).status_code == 429


# --- API rate limits --------------------------------------------------------------------------
def test_public_api_limited_per_address_and_forwarded_for_not_trusted(db, settings):
    settings.PUBLIC_API_RATE = "3/m"
    client = Client()
    for n in range(3):
        assert client.get("/api/v1/auctions", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code == 200
    refused = client.get("/api/v1/auctions", HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert Client(REMOTE_ADDR="127.0.0.2").get("/api/v1/auctions").status_code == 200


def test_behind_one_proxy_the_address_it_appended_counts(db, settings):
    """NUM_PROXIES=1: the client may forge the left of X-Forwarded-For, not what the proxy appended."""
    settings.PUBLIC_API_RATE = "2/m"
    settings.NINJA_NUM_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for forged in ("1.1.1.1", "2.2.2.2"):
        assert proxy.get("/api/v1/auctions", HTTP_X_FORWARDED_FOR=f"{forged}, 198.51.100.7").status_code == 200
    assert proxy.get("/api/v1/auctions", HTTP_X_FORWARDED_FOR="3.3.3.3, 198.51.100.7").status_code == 429
    assert proxy.get("/api/v1/auctions", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200
    settings.LOGIN_FAILURE_RATE_PER_IP = "2/15m"
    for name in ("u1", "u2", "u3"):
        proxy.post("/accounts/login/", {"username": name, "password": "y"}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    refused = proxy.post("/accounts/login/", {"username": "z", "password": "y"}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert refused.status_code == 429
    other = proxy.post("/accounts/login/", {"username": "z", "password": "y"}, HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert other.status_code == 200


def test_court_api_is_limited_per_token_not_by_the_public_rate(clerk, settings):
    settings.PUBLIC_API_RATE = "1/m"
    settings.COURT_API_RATE = "2/m"
    _token, plaintext = lot_services.issue_api_token(clerk.court, clerk.user, "执行办案系统")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert [client.get("/api/v1/court/staff").status_code for _ in range(3)] == [200, 200, 429]


# --- CSRF -------------------------------------------------------------------------------------
def test_csrf_required_on_session_posts(alice, live_auction):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    bid = '{"type": "bid", "amount": "81000", "client_bid_id": "c-1"}'
    assert client.post(f"/auctions/{live_auction.pk}/bids", bid, content_type="application/json").status_code == 403
    assert client.post("/accounts/logout/").status_code == 403
    assert client.post(f"/auctions/{live_auction.pk}/register/", {"accept_terms": "on"}).status_code == 403


def test_csrf_token_makes_the_same_post_work(alice, live_auction):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(f"/auctions/{live_auction.pk}/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    bid = '{"type": "bid", "amount": "81000", "client_bid_id": "c-1"}'
    response = client.post(
        f"/auctions/{live_auction.pk}/bids", bid, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


# --- Socket origin ----------------------------------------------------------------------------
def test_asgi_wraps_sockets_in_the_allowed_hosts_origin_check():
    from channels.security.websocket import OriginValidator

    from config.asgi import application

    assert isinstance(application.application_mapping["websocket"], OriginValidator)


async def _connects(origin: bytes | None, auction_id: int) -> bool:
    from config.asgi import application

    headers = [(b"host", b"127.0.0.1")] + ([(b"origin", origin)] if origin else [])
    communicator = WebsocketCommunicator(application, f"/ws/auctions/{auction_id}/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (b"http://127.0.0.1:8000", True),
        (b"https://localhost", True),
        (b"https://evil.example", False),
        (b"null", False),
        (None, False),
    ],
)
def test_socket_origin_must_be_an_allowed_host(origin, allowed):
    auction = factories.make_auction(factories.make_lot(factories.make_case(factories.make_court())))
    assert async_to_sync(_connects)(origin, auction.pk) is allowed


# --- Content-Security-Policy ------------------------------------------------------------------
def test_csp_header_on_pages(db):
    response = Client().get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "https://js.stripe.com" in directives["script-src"]


TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def _templates():
    for folder in TEMPLATE_DIRS:
        if ".venv" not in str(folder):
            yield from folder.rglob("*.html")


def test_no_template_has_inline_handlers_or_scripts_without_a_nonce():
    """CSP forbids inline code: every <script> has a src, is a JSON data block, or carries the nonce."""
    problems = []
    for template in _templates():
        text = template.read_text()
        if INLINE_HANDLER.search(text):
            problems.append(f"{template}: inline event handler")
        for attributes in SCRIPT_TAG.findall(text):
            if "src=" in attributes or "application/json" in attributes or "csp_nonce" in attributes:
                continue
            problems.append(f"{template}: inline <script> without nonce")
    assert problems == []


# --- Production settings ----------------------------------------------------------------------
def production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "DJANGO_", "SECRET_KEY", "PII_"))
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="x" * 20 + "-production-secret-from-the-environment-0123456789",
        PII_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PII_HASH_KEY="hash-key-from-the-environment",
        ALLOWED_HOSTS="auction.example",
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(ROOT / "var"),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_hsts_and_redirect():
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.DEBUG,"
        " s.SESSION_COOKIE_HTTPONLY, s.SERVE_MEDIA)"
    )
    result = run_python(code, production_env(DJANGO_DEBUG="1"))
    assert result.stdout.split() == ["True", "True", "31536000", "True", "True", "False", "True", "False"]


def test_production_health_check_is_not_redirected_to_https():
    code = (
        "import django; django.setup(); from django.test import Client;"
        " c = Client(SERVER_NAME='auction.example');"
        " print(c.get('/healthz').status_code, c.get('/').status_code)"
    )
    result = run_python(code, production_env())
    assert result.stdout.split()[-2:] == ["200", "301"], result.stderr


@pytest.mark.parametrize("secret", ["SECRET_KEY", "PII_ENCRYPTION_KEY", "PII_HASH_KEY"])
def test_production_refuses_to_start_without_each_secret(secret):
    result = run_python("from django.conf import settings; settings.SECRET_KEY", production_env(**{secret: None}))
    assert result.returncode != 0
    assert f"{secret} must be set in the environment" in result.stderr


def test_no_secret_literals_outside_settings_defaults():
    """Secrets come from the environment: no Stripe keys, webhook secrets or Fernet keys in code."""
    pattern = re.compile(r"(sk_live_|rk_live_|whsec_[A-Za-z0-9]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY)")
    found = []
    for path in ROOT.glob("*/**/*.py"):
        if any(part in {".venv", "var", "tests", "node_modules"} for part in path.parts):
            continue
        if pattern.search(path.read_text(errors="ignore")):
            found.append(str(path))
    assert found == []


def test_metrics_refused_to_other_addresses(db):
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403
    assert Client().get("/metrics").status_code == 200


# --- Personal data never written to logs ------------------------------------------------------
def test_redact_masks_id_phone_and_account_numbers():
    text = f"id={ID_NUMBER} phone=+86 139-1234-5678 mobile {PHONE} card 6222 0212 3456 7890 123 ok 1700000000000"
    masked = redact(text)
    assert ID_NUMBER not in masked and ID_NUMBER[:6] + "********" + ID_NUMBER[-4:] in masked
    assert PHONE not in masked and "139****5678" in masked
    assert "6222 0212 3456 7890 123" not in masked and "**** 0123" in masked
    assert "1700000000000" in masked  # timestamps and other numbers are left alone


def test_filter_redacts_arguments_and_exception_text():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "signup %s %s", (ID_NUMBER, PHONE), None)
    try:
        raise ValueError(f"duplicate {ID_NUMBER}")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactPersonalData().filter(record)
    assert ID_NUMBER not in record.getMessage() and PHONE not in record.getMessage()
    assert ID_NUMBER not in record.exc_text


def test_json_log_format_option_writes_one_object_a_line():
    import json
    import logging.config

    logging.config.dictConfig(logging_config("json"))
    try:
        handler = logging.getLogger().handlers[0]
        stream = io.StringIO()
        handler.setStream(stream)
        logging.getLogger("auctions.test").warning("bidder %s signed up", ID_NUMBER)
        line = json.loads(stream.getvalue().strip().splitlines()[-1])
        assert line["level"] == "WARNING" and line["logger"] == "auctions.test"
        assert ID_NUMBER not in line["message"]
    finally:
        logging.config.dictConfig(settings.LOGGING)


def test_log_format_env_var_switches_the_processes_to_json():
    code = "import django, logging; django.setup(); logging.getLogger('x').warning('phone %s', '13912345678')"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="config.settings")
    result = run_python(code, env)
    import json

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["logger"] == "x" and line["message"] == "phone 139****5678"


@pytest.fixture
def captured_logs(settings):
    """Everything the configured console handler writes, with every logger at DEBUG and SQL logged."""
    import logging.config

    from django.db import connection

    logging.config.dictConfig(logging_config("plain", level="DEBUG"))
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    logging.getLogger("django.db.backends").setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    yield stream
    connection.force_debug_cursor = False
    logging.config.dictConfig(settings.LOGGING)


def test_signup_registration_and_bid_flow_leaves_no_personal_data_in_logs(captured_logs, live_auction):
    client = Client()
    signup = {
        "username": "zhangsan",
        "real_name": "张三",
        "id_number": ID_NUMBER,
        "phone": PHONE,
        "email": "zs@example.com",
        "password1": "a-long-Passw0rd!",
        "password2": "a-long-Passw0rd!",
    }
    assert client.post("/accounts/signup/", {**signup, "password2": "mismatch"}).status_code == 200  # form error
    assert client.post("/accounts/signup/", signup).status_code == 302
    profile = BidderProfile.objects.get(user__username="zhangsan")
    logging.getLogger("bidding.test").info("profile %s phone %s", profile.id_number, profile.phone)
    client.post(f"/auctions/{live_auction.pk}/register/", {"accept_terms": "on"})
    client.post(f"/auctions/{live_auction.pk}/bids", '{"type": "bid", "amount": "1"}', content_type="application/json")
    client.get(f"/auctions/{live_auction.pk}/does-not-exist/")
    output = captured_logs.getvalue()
    assert "SELECT" in output and "/does-not-exist/" in output  # the capture really saw the flow
    assert ID_NUMBER not in output
    assert PHONE not in output


def test_id_number_and_phone_stored_encrypted(db):
    from django.db import connection

    user = factories.make_bidder("enc")
    profile = user.bidder
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM bidding_bidderprofile WHERE id = %s", [profile.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert profile.id_number not in raw_id and "13800138000" not in raw_phone
    assert raw_id.startswith("gAAAA")  # a Fernet token
