"""Operational endpoints: /healthz for load balancers and /metrics for Prometheus."""

import hmac
import os

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from config import metrics as _registered_metrics  # noqa: F401  (registers the metric families)

LOOPBACK = {"127.0.0.1", "::1"}


@never_cache
def healthz(request):
    """200 when the database and the cache answer; 503 naming what failed otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001  (any failure means unhealthy)
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "error: no round trip"
    except Exception as exc:  # noqa: BLE001
        checks["cache"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@never_cache
def metrics(request):
    """Prometheus text format, for scrapers on loopback or holding METRICS_TOKEN."""
    token = os.environ.get("METRICS_TOKEN", "")
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if request.META.get("REMOTE_ADDR") not in LOOPBACK and not (token and hmac.compare_digest(token, supplied)):
        return HttpResponseForbidden("metrics are served to loopback or with METRICS_TOKEN")
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
