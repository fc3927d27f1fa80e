from django.http import JsonResponse
from django.utils.translation import gettext as _


def ratelimited(request, exception):
    """django-ratelimit's refusal: 429 with a typed code, like every other error."""
    return JsonResponse({"code": "rate_limited", "message": _("请求过于频繁，请稍后再试")}, status=429)
