"""Sign-in with throttling: failed attempts are counted per username and per client address
(django-ratelimit counters in the cache, shared by every process when REDIS_URL is set). Past the
limit the form is refused with 429 before any password is checked, until the window passes.

Only failures count, so people who sign in often are never slowed; a success does not reset the
counters (an attacker who knows one password must not earn more guesses at others).
"""

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from config.throttles import client_ip


def _username(group, request) -> str:
    return (request.POST.get("username") or "").strip().lower()[:150]


def _ip(group, request) -> str:
    return client_ip(request)


def _checks():
    return (
        ("login-username", _username, settings.LOGIN_FAILURE_RATE_PER_USERNAME),
        ("login-ip", _ip, settings.LOGIN_FAILURE_RATE_PER_IP),
    )


def login_throttled(request, *, increment: bool) -> bool:
    """Whether this username or address is over its failed sign-in budget; with `increment`,
    counts one more failure against both."""
    limited = False
    for group, key, rate in _checks():
        limited |= is_ratelimited(request, group=group, key=key, rate=rate, method="POST", increment=increment)
    return limited


class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        if login_throttled(request, increment=False):
            context = self.get_context_data(form=self.get_form_class()(request), throttled=True)
            context["throttle_message"] = _("登录失败次数过多，请稍后再试。")
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_throttled(self.request, increment=True)
        return super().form_invalid(form)


login = ThrottledLoginView.as_view()


def throttle_admin_login(site) -> None:
    """The admin's own sign-in form counts failures against the same budgets."""
    original = site.login

    def login_view(request, extra_context=None):
        if request.method != "POST":
            return original(request, extra_context)
        if login_throttled(request, increment=False):
            message = _("登录失败次数过多，请稍后再试。")
            return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response = original(request, extra_context)
        if not request.user.is_authenticated:
            login_throttled(request, increment=True)
        return response

    site.login = login_view
