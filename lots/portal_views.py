"""The party portal at /portal/ (namespace "portal"): thin views over lots/portal.py.

A verified party signs in with the case number and the query code (no user account); the session
holds only the code's id, and every request re-checks the code (revoked, agency ended, PD3), so a
revocation or the end of the PD3 month ends open sessions. Another case's id is a 404.
Failed sign-ins are rate limited per IP address and per case number (django-ratelimit counters).
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from . import portal
from .models import CaseMessage
from .portal_forms import MessageForm, SignInForm
from .validators import normalise_case_number

SESSION_KEY = "portal_code_id"
# Failed sign-ins allowed per window before refusing; settings may override (django-ratelimit rates).
DEFAULT_RATE_PER_IP = "20/h"
DEFAULT_RATE_PER_CASE = "10/h"


# --- Throttling -------------------------------------------------------------------------------
def _case_key(request) -> str:
    number = normalise_case_number(request.POST.get("case_number", ""))[:80]
    return hashlib.sha256(number.encode()).hexdigest()


def _limits(request):
    return [
        ("portal-sign-in-ip", "ip", getattr(settings, "PORTAL_SIGN_IN_RATE_PER_IP", DEFAULT_RATE_PER_IP)),
        (
            "portal-sign-in-case",
            lambda group, request: _case_key(request),
            getattr(settings, "PORTAL_SIGN_IN_RATE_PER_CASE", DEFAULT_RATE_PER_CASE),
        ),
    ]


def throttled(request) -> bool:
    """True once this IP or this case number has used up its failed attempts for the window."""
    for group, key, rate in _limits(request):
        usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            return True
    return False


def count_failure(request) -> None:
    for group, key, rate in _limits(request):
        get_usage(request, group=group, key=key, rate=rate, increment=True)


# --- Session ----------------------------------------------------------------------------------
def party_required(view):
    """The signed-in party's live code as request.query_code, or back to sign-in with the reason;
    a case id in the URL that is not the party's case is a 404."""

    @never_cache
    @wraps(view)
    def wrapper(request, *args, case_id=None, **kwargs):
        code_id = request.session.get(SESSION_KEY)
        if code_id is None:
            return redirect("portal:sign_in")
        try:
            code = portal.current_code(code_id)
        except portal.PortalRefusal as refusal:
            request.session.pop(SESSION_KEY, None)
            messages.error(request, refusal.message)
            return redirect("portal:sign_in")
        if case_id is not None and case_id != code.case_id:
            raise Http404
        request.query_code = code
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
def sign_in(request):
    if request.method == "GET" and request.session.get(SESSION_KEY):
        try:
            code = portal.current_code(request.session[SESSION_KEY])
        except portal.PortalRefusal:
            request.session.pop(SESSION_KEY, None)
        else:
            return redirect("portal:case", code.case_id)
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if throttled(request):
            form.add_error(None, _("尝试次数过多，请稍后再试。"))
            status = 429
        else:
            try:
                code = portal.sign_in(form.cleaned_data["case_number"], form.cleaned_data["code"])
            except portal.PortalRefusal as refusal:
                count_failure(request)
                form.add_error("code" if refusal.code != "access_ended" else None, refusal.message)
                status = 403 if refusal.code == "access_ended" else 400
            else:
                request.session.cycle_key()  # no session fixation
                request.session[SESSION_KEY] = code.pk
                return redirect("portal:case", code.case_id)
    elif request.method == "POST":
        status = 400
    return render(request, "portal/sign_in.html", {"form": form}, status=status)


@require_POST
def sign_out(request):
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("您已退出查询。"))
    return redirect("portal:sign_in")


# --- The case (PD2) ---------------------------------------------------------------------------
@party_required
def case(request):
    context = portal.case_overview(request.query_code)
    context["unread"] = CaseMessage.objects.filter(
        case_id=request.query_code.case_id,
        party=request.query_code.party,
        sender=CaseMessage.Sender.COURT,
        read_at__isnull=True,
    ).count()
    return render(request, "portal/case.html", context)


@party_required
def case_messages(request):
    code = request.query_code
    form = MessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                portal.send_party_message(code, form.cleaned_data["body"])
            except portal.PortalRefusal as refusal:
                messages.error(request, refusal.message)
                return redirect("portal:sign_in")
            except ValidationError as error:
                form.add_error("body", error.message_dict.get("body", error.messages))
                status = 400
            else:
                messages.success(request, _("留言已发送，承办法官回复后会显示在这里。"))
                return redirect("portal:messages", code.case_id)
        else:
            status = 400
    portal.mark_read(code.case, code.party, by=CaseMessage.Sender.PARTY)
    context = {
        "case": code.case,
        "party": code.party,
        "thread": list(portal.thread(code.case, code.party)),
        "form": form,
        "max_length": CaseMessage.MAX_LENGTH,
    }
    return render(request, "portal/messages.html", context, status=status)
