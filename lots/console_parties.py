"""Court console pages for a case's verified parties (PD1), their query codes, measures, closing
(PD3) and the parties' messages: thin views over lots/portal.py.

Rows are found through lots/access.py: another court's case, and a party or code of another case,
are 404s. A new query code is shown on the response that issued it only, never again.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import portal
from .access import access_case, court_staff_required
from .models import CaseMessage, Party, PartyAccessEvent, QueryCode
from .portal_forms import CloseCaseForm, IssueCodeForm, MeasureForm, ReplyForm


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _party_rows(request, case, forms):
    parties = sorted(
        case.parties.select_related("represents").prefetch_related("query_codes"),
        key=lambda p: portal.PARTY_ORDER.index(p.role),
    )
    rows = []
    for party in parties:
        codes = list(party.query_codes.all())
        rows.append(
            {
                "party": party,
                "live": next((c for c in codes if c.is_live), None),
                "codes": codes,
                "refusals": portal.party_refusals(party),
                "form": forms.get(party.pk) or IssueCodeForm(court=request.staff.court, party=party),
            }
        )
    return rows


def _parties_page(request, case, *, status=200, issued=None, forms=None, measure_form=None, close_form=None):
    court = request.staff.court
    context = {
        "case": case,
        "rows": _party_rows(request, case, forms or {}),
        "issued": issued,  # (party, plain code) on the response that issued it
        "measures": case.measures.all(),
        "measure_form": measure_form or MeasureForm(court=court, case=case),
        "close_form": close_form or CloseCaseForm(court=court, case=case),
        "events": PartyAccessEvent.objects.filter(case=case).select_related("party").order_by("-at", "-id")[:50],
        "access_ends_on": portal.access_ends_on(case),
    }
    return _no_store(render(request, "console/parties/case_parties.html", context, status=status))


def _case_party(case, party_id) -> Party:
    return get_object_or_404(Party.objects.select_related("represents"), pk=party_id, case=case)


@court_staff_required
def case_parties(request, case_id):
    return _parties_page(request, access_case(request.user, case_id))


@require_POST
@court_staff_required
def code_issue(request, case_id, party_id):
    case = access_case(request.user, case_id)
    party = _case_party(case, party_id)
    form = IssueCodeForm(request.POST, court=request.staff.court, party=party)
    issued = form.save(request.user) if form.is_valid() else None
    if issued is None:
        return _parties_page(request, case, status=400, forms={party.pk: form})
    messages.success(request, _("查询码已签发，请当面交给当事人；离开本页后不再显示。"))
    return _parties_page(request, case, issued=(party, issued[1]))


@require_POST
@court_staff_required
def code_revoke(request, case_id, code_id):
    case = access_case(request.user, case_id)
    code = get_object_or_404(QueryCode, pk=code_id, case=case)
    portal.revoke_query_code(code, request.user)
    messages.success(request, _("查询码已吊销。"))
    return redirect("console:case_parties", case.id)


@require_POST
@court_staff_required
def agency_end(request, case_id, party_id):
    case = access_case(request.user, case_id)
    agent = _case_party(case, party_id)
    try:
        ended = portal.end_agency(agent, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("console:case_parties", case.id)
    messages.success(request, _("代理关系已终止，代理人的查询码已吊销。"))
    if ended.plain:
        messages.success(request, _("被代理人的查询码已更换，请将新查询码交给被代理人。"))
        return _parties_page(request, case, issued=(ended.principal, ended.plain))
    return redirect("console:case_parties", case.id)


@require_POST
@court_staff_required
def measure_add(request, case_id):
    case = access_case(request.user, case_id)
    form = MeasureForm(request.POST, court=request.staff.court, case=case)
    if form.is_valid() and form.save(request.user) is not None:
        messages.success(request, _("执行措施已记录。"))
        return redirect("console:case_parties", case.id)
    return _parties_page(request, case, status=400, measure_form=form)


@require_POST
@court_staff_required
def case_close(request, case_id):
    case = access_case(request.user, case_id)
    form = CloseCaseForm(request.POST, court=request.staff.court, case=case)
    if form.is_valid() and form.save(request.user) is not None:
        messages.success(request, _("案件已结案；当事人可在一个月内继续网上查询（PD3）。"))
        return redirect("console:case_parties", case.id)
    return _parties_page(request, case, status=400, close_form=form)


# --- Messages ---------------------------------------------------------------------------------
@court_staff_required
def message_inbox(request):
    """Every thread of the court's cases with party messages, the unread ones first."""
    staff = request.staff
    threads = (
        Party.objects.filter(case__court=staff.court, messages__isnull=False)
        .select_related("case")
        .annotate(
            unread=Count(
                "messages", filter=Q(messages__sender=CaseMessage.Sender.PARTY, messages__read_at__isnull=True)
            ),
            last_at=Max("messages__sent_at"),
        )
        .order_by("-unread", "-last_at")
    )
    context = {"threads": threads[:200], "unread_mine": portal.unread_for_staff(staff)}
    return render(request, "console/parties/inbox.html", context)


@court_staff_required
def case_messages(request, case_id, party_id=None):
    case = access_case(request.user, case_id)
    threads = portal.threads_for_case(case)
    party = _case_party(case, party_id) if party_id is not None else None
    if party is None and threads:
        return redirect("console:case_thread", case.id, threads[0]["party"].pk)
    form = None
    status = 200
    if party is not None:
        form = ReplyForm(request.POST or None, court=request.staff.court, case=case, party=party)
        if request.method == "POST":
            if form.is_valid() and form.save(request.user) is not None:
                messages.success(request, _("回复已发送。"))
                return redirect("console:case_thread", case.id, party.pk)
            status = 400
        else:
            portal.mark_read(case, party, by=CaseMessage.Sender.COURT)
            threads = portal.threads_for_case(case)
    context = {
        "case": case,
        "threads": threads,
        "party": party,
        "thread": list(portal.thread(case, party)) if party else [],
        "form": form,
    }
    return render(request, "console/parties/messages.html", context, status=status)
