"""Settings for the judicial auction platform.

Embedded by default: SQLite (WAL, busy timeout) and the in-memory channel layer. Set DATABASE_URL
and REDIS_URL to run on PostgreSQL and Redis with several daphne processes and clock workers.
DJANGO_ENV=production turns on the strict settings and requires every secret from the environment.
"""

import base64
import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("DJANGO_ENV") == "production"
DEBUG = os.environ.get("DJANGO_DEBUG") == "1" and not PRODUCTION


def _secret(name: str, dev_default: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise RuntimeError(f"{name} must be set in the environment when DJANGO_ENV=production")
    return dev_default


SECRET_KEY = _secret("SECRET_KEY", "dev-only-insecure-secret-key-change-me-0123456789abcdef")
# Key for encrypting personal data at rest (Fernet, urlsafe base64 of 32 bytes).
PII_ENCRYPTION_KEY = _secret(
    "PII_ENCRYPTION_KEY",
    base64.urlsafe_b64encode(hashlib.sha256(b"pii:" + SECRET_KEY.encode()).digest()).decode(),
)
# Key for the keyed hash that finds a person by ID number without storing it in the clear.
PII_HASH_KEY = _secret("PII_HASH_KEY", hashlib.sha256(b"pii-hash:" + SECRET_KEY.encode()).hexdigest())

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "djmoney",
    "ninja",
    "huey.contrib.djhuey",
    "lots",
    "auctions",
    "bidding",
    "payments",
    "notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL")
# Lets several test runs share one machine without sharing a test database.
TEST_DB_SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")
if DATABASE_URL:
    # Django serves each ASGI request from its own thread; persistent per-thread connections
    # pile up until PostgreSQL refuses clients. A bounded pool per process instead.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "8")),
        "timeout": 10,
    }
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{TEST_DB_SUFFIX}"}
else:
    SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "db.sqlite3"))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets the web and worker processes read while one writes; IMMEDIATE takes
                # the write lock at BEGIN, so two bids serialise instead of failing to upgrade.
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory: browser and multi-process tests share it with daphne processes.
            "TEST": {"NAME": str(VAR_DIR / f"test-db{TEST_DB_SUFFIX}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and cache ---------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL")


def channel_prefix(redis_url: str) -> str:
    """Redis pub/sub channels belong to the server, not to a database: the channel layer's
    prefix carries the database number, so deployments (or test runs) sharing one server on
    different databases never hear each other's rounds."""
    return f"asgi{urlsplit(redis_url).path.strip('/') or '0'}"


if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults to a 5 s socket timeout, equal to the layer's own 5 s
                # blocking reads; a larger pool survives connect bursts.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}],
                "prefix": channel_prefix(REDIS_URL),
            },
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Where each daphne process decides its bids (bidding/writer.py): "process", a writer process of
# its own (bidding/writer_process.py), which keeps the process's event loop clear of the writer's
# work under load, or "thread", a thread of the daphne process.
BID_WRITER = os.environ.get("BID_WRITER", "process")
if BID_WRITER not in {"thread", "process"}:
    raise ImproperlyConfigured('BID_WRITER must be "process" or "thread"')

# --- Background tasks -----------------------------------------------------------------------
# Notifications and court webhooks are huey tasks with retries; `manage.py run_huey` is the worker.
# Embedded: a SQLite file beside the database; at scale: the same Redis as the channel layer.
_HUEY_CONSUMER = {"workers": 2, "worker_type": "thread"}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "auctions",
        "immediate": False,
        "connection": {"url": REDIS_URL},
        "consumer": _HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "auctions",
        "immediate": False,
        # Beside the SQLite database it serves, so a test run's server processes never queue
        # tasks (notifications, webhooks) for the `make run` worker, whose database differs.
        "filename": str(VAR_DIR / "tasks.sqlite3") if DATABASE_URL else str(SQLITE_PATH) + ".tasks",
        "consumer": _HUEY_CONSUMER,
    }

# --- Results ---------------------------------------------------------------------------------
# A TrueType CJK font embedded in the confirmation PDFs ("path" or "path#subfont index" of a .ttc).
# Unset: the first of notices/pdf.py's known Debian paths that exists; none found: the viewer's
# own Song typeface through the standard STSong-Light font (text stays correct and extractable).
CONFIRMATION_PDF_FONT = os.environ.get("CONFIRMATION_PDF_FONT", "")

# --- Auth, i18n, time -----------------------------------------------------------------------
if os.environ.get("FAST_PASSWORD_HASHING") == "1" and not PRODUCTION:
    # The test suite creates hundreds of users; a slow hash there only costs time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Money ----------------------------------------------------------------------------------
CURRENCIES = ("CNY",)
CURRENCY_CHOICES = [("CNY", "CNY ¥")]
DEFAULT_CURRENCY = "CNY"
MONEY_MAX_DIGITS = 14

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from finders until collectstatic fills it
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Media is served by the app itself in the embedded mode; production puts it behind the proxy.
SERVE_MEDIA = not PRODUCTION
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Health checks and scrapers talk to each daphne process directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp): scripts from this site, Stripe.js on the card page, and
# inline scripts only with the per-response nonce ({{ request.csp_nonce }}); no inline handlers.
_STRIPE_JS_ORIGIN = "/".join(os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/").split("/")[:3])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, _STRIPE_JS_ORIGIN],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF, "https://api.stripe.com"],
        "frame-src": [_STRIPE_JS_ORIGIN, "https://hooks.stripe.com"],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

RATELIMIT_VIEW = "config.views.ratelimited"
# Failed sign-ins allowed per username and per client address before the form is refused
# (config/login.py); only failures count.
LOGIN_FAILURE_RATE_PER_USERNAME = os.environ.get("LOGIN_FAILURE_RATE_PER_USERNAME", "5/15m")
LOGIN_FAILURE_RATE_PER_IP = os.environ.get("LOGIN_FAILURE_RATE_PER_IP", "50/15m")
# Public read API (/api/v1/auctions…) per client address; the court API has its per-token limit.
PUBLIC_API_RATE = os.environ.get("PUBLIC_API_RATE", "120/m")
# How often the lot page and "my auctions" poll their counts, in ms (the pages take 1000 at least).
LOT_FACTS_POLL_MS = int(os.environ.get("LOT_FACTS_POLL_MS", "5000"))
# Proxies in front of daphne that append to X-Forwarded-For (0: use the socket's address).
NINJA_NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
# django-ratelimit's key="ip" (sign-up) resolves the client the same way.
RATELIMIT_IP_META_KEY = "config.throttles.client_ip"
# Per-user bid limits as "seconds:bids" windows (bidding/ratelimit.py); the benchmark lifts them.
BID_RATE_LIMITS = tuple(
    tuple(int(n) for n in window.split(":")) for window in os.environ.get("BID_RATE_LIMITS", "1:5,60:60").split(",")
)
# The in-memory cache is per process; it is what the embedded single-process mode has.
SILENCED_SYSTEM_CHECKS = [] if REDIS_URL else ["django_ratelimit.E003", "django_ratelimit.W001"]

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@auction.example")

# One console handler that masks ID, phone and account numbers (config/logging.py);
# LOG_FORMAT=json writes one JSON object a line.
LOGGING = logging_config()
