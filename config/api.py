"""The JSON API at /api/v1 (django-ninja): OpenAPI schema and interactive docs at /api/docs.

Every error has one shape, {"code", "message", "errors"?}, whatever raised it.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as RequestInvalid
from ninja.renderers import JSONRenderer

from auctions.api import court_router as court_rounds_router
from auctions.api import public_router
from auctions.court_api import router as court_steps_router
from auctions.opendata import router as open_data_router
from config.throttles import PublicRateThrottle
from lots.api import ApiJSONEncoder
from lots.api import router as court_router
from lots.api_auth import ApiError
from notices.court_api import router as court_results_router


class ReadableJSON(JSONRenderer):
    """Chinese text as itself rather than \\u escapes, readable in curl output and logs."""

    encoder_class = ApiJSONEncoder
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Judicial auctions API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    renderer=ReadableJSON(),
    throttle=[PublicRateThrottle()],
)


def _error(request, status: int, code: str, message: str, errors=None):
    return api.create_response(request, ApiError(status, code, message, errors).body(), status=status)


@api.exception_handler(ApiError)
def api_error(request, exc: ApiError):
    return api.create_response(request, exc.body(), status=exc.status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("没有找到该对象。"))


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    return _error(request, 401, "not_authenticated", _("请在 Authorization 头中提供法院接口令牌（Bearer）。"))


@api.exception_handler(Throttled)
def throttled(request, exc):
    return _error(request, 429, "rate_limited", _("请求过于频繁，请稍后再试。"))


@api.exception_handler(RequestInvalid)
def request_invalid(request, exc: RequestInvalid):
    """Path or query parameters of the wrong type, as django-ninja finds them."""
    errors = {}
    for error in exc.errors:
        field = ".".join(str(part) for part in error.get("loc", ())[1:]) or "__all__"
        errors.setdefault(field, []).append(
            {"code": error.get("type", "invalid"), "rule": None, "message": error.get("msg", "")}
        )
    return _error(request, 422, "validation_error", _("请求参数有误。"), errors)


api.add_router("/v1/", public_router)
api.add_router("/v1/", open_data_router)
api.add_router("/v1/court/", court_router)
api.add_router("/v1/court/", court_rounds_router)
api.add_router("/v1/court/", court_results_router)
api.add_router("/v1/court/", court_steps_router)
