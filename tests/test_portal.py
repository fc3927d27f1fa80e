"""The party portal (PD1–PD3): query codes, sign-in, the PD2 case page, messages, closing, isolation."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from auctions import clock
from auctions.errors import RuleViolation
from auctions.models import Auction
from lots import portal
from lots.models import (
    CaseMessage,
    CourtStaff,
    DisposalRecord,
    EnforcementCase,
    EnforcementMeasure,
    Party,
    PartyAccessEvent,
    QueryCode,
)
from lots.portal_views import SESSION_KEY
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
Role = Party.Role
Kind = PartyAccessEvent.Kind


@pytest.fixture
def applicant(case):
    return factories.make_party(case)


@pytest.fixture
def agent(case, applicant):
    return factories.make_party(case, Role.AGENT, "李律师", represents=applicant)


@pytest.fixture
def judge(case):
    return case.judge


def sign_in(client, case, code):
    return client.post(reverse("portal:sign_in"), {"case_number": case.number, "code": code})


def closed_case(case, at: datetime):
    with clock.frozen(at):
        return portal.close_case(case, case.judge.user, method=EnforcementCase.ClosingMethod.COMPLETED)


# --- PD1: codes -------------------------------------------------------------------------------
def test_pd1_code_is_shown_once_and_stored_only_hashed(applicant, clerk):
    code, plain = portal.issue_query_code(applicant, clerk.user, papers="营业执照副本", email="fa.wu@bank.example")
    raw = portal.normalise_code(plain)
    assert len(raw) == portal.CODE_LENGTH and plain.count("-") == 2
    assert code.code_hash == portal.code_hash(raw) and raw not in code.code_hash
    assert code.hint == raw[-4:] and code.issued_by == clerk.user
    applicant.refresh_from_db()
    assert applicant.papers == "营业执照副本" and applicant.verified_at is not None
    assert applicant.email == "fa.wu@bank.example" and applicant.email_masked == "f****@bank.example"
    kinds = list(PartyAccessEvent.objects.filter(party=applicant).values_list("kind", flat=True))
    assert kinds == [Kind.VERIFIED, Kind.CODE_ISSUED]
    assert all(raw not in str(e.detail) for e in PartyAccessEvent.objects.all())


def test_pd1_reissue_revokes_the_old_code(applicant, clerk):
    first, _ = portal.issue_query_code(applicant, clerk.user, papers="营业执照")
    second, _ = portal.issue_query_code(applicant, clerk.user, papers="营业执照")
    first.refresh_from_db()
    assert first.revoked_at is not None and first.end_reason == QueryCode.EndReason.REPLACED
    assert list(QueryCode.objects.filter(party=applicant, revoked_at__isnull=True)) == [second]


def test_pd1_respondent_and_agent_of_respondent_get_no_code(case, clerk):
    respondent = factories.make_party(case, Role.RESPONDENT, "王某")
    their_agent = factories.make_party(case, Role.AGENT, "赵律师", represents=respondent)
    for party in (respondent, their_agent):
        with pytest.raises(RuleViolation) as refused:
            portal.issue_query_code(party, clerk.user, papers="身份证", authorisation="授权委托书")
        assert refused.value.rules == ["PD1"]
    assert not QueryCode.objects.exists() and not PartyAccessEvent.objects.exists()


def test_pd1_papers_and_agent_authorisation_are_required_and_email_checked(agent, clerk):
    with pytest.raises(portal.ValidationError) as refused:
        portal.issue_query_code(agent, clerk.user, papers=" ", authorisation="", email="not-an-email")
    assert set(refused.value.message_dict) == {"papers", "authorisation"}
    with pytest.raises(portal.ValidationError) as refused:
        portal.issue_query_code(agent, clerk.user, papers="律师证", authorisation="授权委托书", email="not-an-email")
    assert set(refused.value.message_dict) == {"email"}
    assert not QueryCode.objects.exists()


def test_pd1_revoked_code_is_refused_and_its_session_ends(client, case, applicant, clerk):
    plain = factories.portal_login(client, applicant)
    assert client.get(reverse("portal:case", args=[case.id])).status_code == 200
    portal.revoke_query_code(applicant.query_codes.get(), clerk.user)

    response = client.get(reverse("portal:case", args=[case.id]))
    assert response.status_code == 302 and response.url == reverse("portal:sign_in")
    assert SESSION_KEY not in client.session
    response = sign_in(client, case, plain)
    assert response.status_code == 400
    assert "该查询码已失效" in response.content.decode()
    assert PartyAccessEvent.objects.filter(kind=Kind.CODE_REVOKED, actor=clerk.user).count() == 1


def test_pd1_agency_end_revokes_the_agent_and_changes_the_principals_code(client, case, applicant, agent, clerk):
    principal_old = factories.issue_code(applicant)
    agent_code = factories.issue_code(agent)

    ended = portal.end_agency(agent, clerk.user)

    assert ended.principal == applicant and ended.plain
    assert sign_in(client, case, agent_code).status_code == 400
    assert sign_in(client, case, principal_old).status_code == 400
    response = sign_in(client, case, ended.plain)
    assert response.status_code == 302 and response.url == reverse("portal:case", args=[case.id])
    reasons = set(QueryCode.objects.filter(revoked_at__isnull=False).values_list("end_reason", flat=True))
    assert reasons == {QueryCode.EndReason.AGENCY_ENDED}
    assert PartyAccessEvent.objects.filter(kind=Kind.AGENCY_ENDED, party=agent).count() == 1
    with pytest.raises(RuleViolation):  # an ended agency gets no new code
        portal.issue_query_code(agent, clerk.user, papers="律师证", authorisation="授权委托书")
    with pytest.raises(portal.ValidationError):
        portal.end_agency(agent, clerk.user)


def test_pd1_agency_end_without_a_principal_code_issues_none(applicant, agent, clerk):
    factories.issue_code(agent)
    ended = portal.end_agency(agent, clerk.user)
    assert ended.new_code is None and ended.plain is None
    assert not QueryCode.objects.filter(revoked_at__isnull=True).exists()


# --- Sign-in ----------------------------------------------------------------------------------
def test_sign_in_accepts_the_code_as_people_type_it(client, case, applicant):
    plain = factories.issue_code(applicant)
    typed = "  " + plain.lower().replace("-", " ") + " "
    number = case.number.replace("（", "(").replace("）", ")")
    response = client.post(reverse("portal:sign_in"), {"case_number": number, "code": typed})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == applicant.query_codes.get().pk
    assert PartyAccessEvent.objects.filter(kind=Kind.SIGNED_IN, party=applicant).count() == 1


@pytest.mark.parametrize(
    "case_number, code",
    [
        ("right", "WRONG-CODE-XXXX"),
        ("（2024）京0105执999999号", "right"),
        ("", "right"),
        ("right", ""),
        ("not a case number", "right"),
        ("right", "x" * 40),
    ],
)
def test_bad_case_number_or_code_is_refused_alike(client, case, applicant, case_number, code):
    plain = factories.issue_code(applicant)
    data = {
        "case_number": case.number if case_number == "right" else case_number,
        "code": plain if code == "right" else code,
    }
    response = client.post(reverse("portal:sign_in"), data)
    assert response.status_code == 400
    assert SESSION_KEY not in client.session
    assert not PartyAccessEvent.objects.filter(kind=Kind.SIGNED_IN).exists()


def test_a_code_of_one_case_does_not_open_another(client, court, applicant):
    other_case = factories.make_case(court)
    plain = factories.issue_code(applicant)
    assert sign_in(client, other_case, plain).status_code == 400


def test_sign_in_is_throttled_per_case_number(client, case, applicant, settings):
    settings.PORTAL_SIGN_IN_RATE_PER_CASE = "3/h"
    plain = factories.issue_code(applicant)
    for _ in range(3):
        assert sign_in(client, case, "AAAA-BBBB-CCCC").status_code == 400
    response = sign_in(client, case, plain)  # even the right code waits out the window
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    other = factories.make_case(case.court)
    other_code = factories.issue_code(factories.make_party(other))
    assert sign_in(client, other, other_code).status_code == 302  # another case number is not held up


def test_sign_in_is_throttled_per_ip(client, court, settings):
    settings.PORTAL_SIGN_IN_RATE_PER_IP = "4/h"
    cases = [factories.make_case(court) for _ in range(5)]
    for case in cases[:4]:
        assert sign_in(client, case, "AAAA-BBBB-CCCC").status_code == 400
    plain = factories.issue_code(factories.make_party(cases[4]))
    assert sign_in(client, cases[4], plain).status_code == 429
    other_ip = client.post(
        reverse("portal:sign_in"), {"case_number": cases[4].number, "code": plain}, REMOTE_ADDR="10.0.0.9"
    )
    assert other_ip.status_code == 302


def test_successful_sign_ins_are_not_counted(client, case, applicant, settings):
    settings.PORTAL_SIGN_IN_RATE_PER_CASE = "2/h"
    plain = factories.issue_code(applicant)
    for _ in range(4):
        assert sign_in(client, case, plain).status_code == 302


def test_sign_in_form_field_errors(client):
    response = client.post(reverse("portal:sign_in"), {"case_number": "", "code": ""})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"case_number", "code"}


# --- PD3 --------------------------------------------------------------------------------------
def test_pd3_sign_in_on_the_last_day_of_the_month_after_closing(client, case, applicant):
    plain = factories.issue_code(applicant)
    case = closed_case(case, datetime(2025, 1, 31, 10, 0, tzinfo=SHANGHAI))
    assert portal.access_ends_on(case) == datetime(2025, 2, 28).date()
    with clock.frozen(datetime(2025, 2, 28, 23, 59, 59, tzinfo=SHANGHAI)):
        assert sign_in(client, case, plain).status_code == 302


def test_pd3_sign_in_refused_the_day_after(client, case, applicant):
    plain = factories.issue_code(applicant)
    closed_case(case, datetime(2025, 1, 31, 10, 0, tzinfo=SHANGHAI))
    with clock.frozen(datetime(2025, 3, 1, 0, 0, tzinfo=SHANGHAI)):
        response = sign_in(client, case, plain)
    assert response.status_code == 403
    assert "PD3" in response.content.decode() and "2025-02-28" in response.content.decode()


def test_pd3_an_open_session_ends_after_the_month(client, case, applicant):
    closed_case(case, datetime(2025, 5, 15, 9, 0, tzinfo=SHANGHAI))
    with clock.frozen(datetime(2025, 6, 15, 23, 0, tzinfo=SHANGHAI)):
        factories.portal_login(client, applicant)
        assert client.get(reverse("portal:case", args=[case.id])).status_code == 200
    with clock.frozen(datetime(2025, 6, 16, 0, 0, 1, tzinfo=SHANGHAI)):
        response = client.get(reverse("portal:case", args=[case.id]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:sign_in")
    assert "PD3" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_pd3_no_code_issued_after_the_month(case, applicant, clerk):
    closed_case(case, datetime(2025, 5, 15, 9, 0, tzinfo=SHANGHAI))
    with clock.frozen(datetime(2025, 6, 16, 8, 0, tzinfo=SHANGHAI)), pytest.raises(RuleViolation) as refused:
        portal.issue_query_code(applicant, clerk.user, papers="营业执照")
    assert refused.value.rules == ["PD3"]


def test_pd3_case_recipients_end_with_access(case, applicant, agent):
    factories.issue_code(applicant)
    factories.issue_code(agent)
    portal.end_agency(agent, None)
    assert [r.party for r in portal.case_recipients(case)] == [applicant]
    case = closed_case(case, datetime(2025, 5, 15, 9, 0, tzinfo=SHANGHAI))
    with clock.frozen(datetime(2025, 6, 16, 0, 0, tzinfo=SHANGHAI)):
        assert portal.case_recipients(case) == []


# --- Closing ----------------------------------------------------------------------------------
def test_close_case_records_the_closing(case, judge):
    closed = portal.close_case(case, judge.user, method="completed", note="执行款已全部发放")
    assert closed.status == EnforcementCase.Status.CLOSED and closed.closed_by == judge.user
    record = DisposalRecord.objects.get(case=case, kind=DisposalRecord.Kind.CASE_CLOSED)
    assert record.detail["method"] == "completed" and record.actor == judge.user
    assert record.detail["party_access_ends"] == portal.access_ends_on(closed).isoformat()
    with pytest.raises(portal.ValidationError):
        portal.close_case(closed, judge.user, method="completed")
    assert DisposalRecord.objects.filter(kind=DisposalRecord.Kind.CASE_CLOSED).count() == 1


def test_close_case_refused_while_a_round_is_open(case, judge):
    factories.make_auction(factories.make_lot(case), status=Auction.Status.ANNOUNCED, starts_in=timedelta(days=3))
    with pytest.raises(portal.ValidationError) as refused:
        portal.close_case(case, judge.user, method="completed")
    assert refused.value.code == "rounds_active"
    case.refresh_from_db()
    assert case.status == EnforcementCase.Status.OPEN and not case.disposal_records.exists()


def test_console_close_case_bad_method_is_a_field_error(client, case, clerk):
    client.force_login(clerk.user)
    response = client.post(reverse("console:case_close", args=[case.id]), {"method": "whenever", "note": ""})
    assert response.status_code == 400
    assert "method" in response.context["close_form"].errors
    response = client.post(reverse("console:case_close", args=[case.id]), {"method": "completed", "note": "x" * 301})
    assert response.status_code == 400 and "note" in response.context["close_form"].errors
    case.refresh_from_db()
    assert case.status == EnforcementCase.Status.OPEN


def test_court_api_closes_a_case(client, case, clerk, other_court):
    from lots.services import issue_api_token

    _, token = issue_api_token(case.court, clerk.user, "执行办案系统")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/court/cases/{case.id}/close"
    bad = client.post(url, {"method": "soon"}, content_type="application/json", **headers)
    assert bad.status_code == 422 and bad.json()["errors"]["method"][0]["code"] == "invalid_choice"
    ok = client.post(url, {"method": "completed", "note": "执行完毕"}, content_type="application/json", **headers)
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["status"] == "closed" and body["closing_method"] == "completed"
    assert body["party_access_ends"] == portal.access_ends_on(EnforcementCase.objects.get(pk=case.pk)).isoformat()
    again = client.post(url, {"method": "completed"}, content_type="application/json", **headers)
    assert again.status_code == 422
    other_case = factories.make_case(other_court)
    elsewhere = f"/api/v1/court/cases/{other_case.id}/close"
    assert (
        client.post(elsewhere, {"method": "completed"}, content_type="application/json", **headers).status_code == 404
    )


# --- PD2: what the party sees -----------------------------------------------------------------
def test_pd2_case_page_shows_case_staff_measures_property_and_timeline(client, case, applicant, clerk):
    case.clerk = clerk
    case.save()
    lot = factories.make_lot(case)
    portal.record_measure(case, clerk.user, kind="seal", description="查封奥迪A6L轿车一辆", taken_on=clock.now().date())
    auction = factories.make_auction(lot, status=Auction.Status.LIVE, starting_price=80_000)
    from tests.test_payments_support import close_round

    close_round(auction)
    factories.portal_login(client, applicant)
    page = client.get(reverse("portal:case", args=[case.id])).content.decode()
    for text in (
        case.number,
        case.cause,
        case.judge.office_phone,
        clerk.name,
        "查封奥迪A6L轿车一辆",
        lot.title,
        "流拍",
        "¥80,000.00",
    ):
        assert text in page, text
    assert 'data-kind="round_failed"' in page
    assert applicant.name in page


def test_pd2_timeline_renders_any_kind(case, applicant):
    factories.issue_code(applicant)
    record = DisposalRecord.objects.create(
        case=case,
        kind="some_future_step",
        at=clock.now(),
        actor_label="系统",
        detail={"reason": "依法变更", "seed": "x"},
    )
    entry = portal.timeline_entry(record)
    assert entry["label"] == "some_future_step"
    assert [(str(label), value) for label, value in entry["details"]] == [("原因", "依法变更")]


def test_pd2_page_holds_no_bidder_identity(client, case, applicant):
    from tests.test_payments_support import close_round, paid_bidder

    auction = factories.make_auction(factories.make_lot(case))
    user, registration, _ = paid_bidder(auction, "winner")
    close_round(auction, registration, 81_000)
    factories.portal_login(client, applicant)
    page = client.get(reverse("portal:case", args=[case.id])).content.decode()
    assert "¥81,000.00" in page and registration.code in page
    assert user.bidder.id_number not in page and user.bidder.id_number_masked not in page
    assert user.bidder.real_name not in page


# --- Messages ---------------------------------------------------------------------------------
def test_party_message_reaches_the_judge_and_the_reply_the_party(client, case, applicant, judge):
    factories.portal_login(client, applicant)
    url = reverse("portal:messages", args=[case.id])
    assert client.post(url, {"body": "请问第二次拍卖何时安排？"}).status_code == 302
    assert portal.unread_for_staff(judge) == 1

    staff = client.__class__()
    staff.force_login(judge.user)
    dashboard = staff.get(reverse("console:dashboard")).content.decode()
    assert 'id="unread-messages">1<' in dashboard
    thread_url = reverse("console:case_thread", args=[case.id, applicant.id])
    assert "请问第二次拍卖何时安排？" in staff.get(thread_url).content.decode()
    assert portal.unread_for_staff(judge) == 0
    assert staff.post(thread_url, {"body": "拟于下月安排，届时公告。"}).status_code == 302

    page = client.get(url).content.decode()
    assert "拟于下月安排，届时公告。" in page
    reply = CaseMessage.objects.get(sender=CaseMessage.Sender.COURT)
    assert reply.author == judge.user and reply.read_at is not None


@pytest.mark.parametrize("body", ["", "   ", "长" * (CaseMessage.MAX_LENGTH + 1)])
def test_bad_messages_are_field_errors_and_not_saved(client, case, applicant, judge, body):
    factories.portal_login(client, applicant)
    response = client.post(reverse("portal:messages", args=[case.id]), {"body": body})
    assert response.status_code == 400 and "body" in response.context["form"].errors
    CaseMessage.objects.create(
        case=case, party=applicant, sender="party", author_label="x", body="在吗", sent_at=clock.now()
    )
    staff = client.__class__()
    staff.force_login(judge.user)
    response = staff.post(reverse("console:case_thread", args=[case.id, applicant.id]), {"body": body})
    assert response.status_code == 400 and "body" in response.context["form"].errors
    assert CaseMessage.objects.count() == 1


def test_reply_service_refuses_another_courts_staff(case, applicant, clerk_b):
    with pytest.raises(portal.ValidationError):
        portal.reply_to_party(case, applicant, clerk_b.user, "你好")
    assert not CaseMessage.objects.exists()


# --- Isolation --------------------------------------------------------------------------------
def test_another_cases_pages_are_404_in_the_portal(client, court, case, applicant):
    other = factories.make_case(court)
    factories.portal_login(client, applicant)
    for name in ("portal:case", "portal:messages"):
        assert client.get(reverse(name, args=[other.id])).status_code == 404
        assert client.get(reverse(name, args=[999999])).status_code == 404
    assert client.post(reverse("portal:messages", args=[other.id]), {"body": "hi"}).status_code == 404
    assert not CaseMessage.objects.exists()


def test_portal_pages_need_a_sign_in(client, case):
    for name in ("portal:case", "portal:messages"):
        response = client.get(reverse(name, args=[case.id]))
        assert response.status_code == 302 and response.url == reverse("portal:sign_in")


def test_another_courts_staff_get_404_on_every_console_page(client, case, applicant, clerk_b):
    code = factories.issue_code(applicant)
    assert code
    code_row = applicant.query_codes.get()
    client.force_login(clerk_b.user)
    gets = [
        reverse("console:case_parties", args=[case.id]),
        reverse("console:case_messages", args=[case.id]),
        reverse("console:case_thread", args=[case.id, applicant.id]),
    ]
    posts = [
        (reverse("console:code_issue", args=[case.id, applicant.id]), {"papers": "x"}),
        (reverse("console:code_revoke", args=[case.id, code_row.id]), {}),
        (reverse("console:agency_end", args=[case.id, applicant.id]), {}),
        (
            reverse("console:measure_add", args=[case.id]),
            {"kind": "seal", "description": "x", "taken_on": "2024-01-01"},
        ),
        (reverse("console:case_close", args=[case.id]), {"method": "completed"}),
        (reverse("console:case_thread", args=[case.id, applicant.id]), {"body": "x"}),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    code_row.refresh_from_db()
    assert code_row.revoked_at is None and not CaseMessage.objects.exists()
    assert not EnforcementMeasure.objects.exists()


def test_a_party_or_code_of_another_case_is_404_under_this_case(client, court, case, applicant, clerk):
    other = factories.make_case(court)
    other_party = factories.make_party(other)
    factories.issue_code(other_party)
    client.force_login(clerk.user)
    assert (
        client.post(reverse("console:code_issue", args=[case.id, other_party.id]), {"papers": "x"}).status_code == 404
    )
    code_id = other_party.query_codes.get().id
    assert client.post(reverse("console:code_revoke", args=[case.id, code_id])).status_code == 404
    assert client.get(reverse("console:case_thread", args=[case.id, other_party.id])).status_code == 404


# --- Console pages ----------------------------------------------------------------------------
def test_console_issues_a_code_shown_once(client, case, applicant, clerk):
    client.force_login(clerk.user)
    url = reverse("console:code_issue", args=[case.id, applicant.id])
    response = client.post(url, {f"party{applicant.id}-papers": "营业执照副本"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    plain = response.context["issued"][1]
    assert plain in response.content.decode()
    assert plain not in client.get(reverse("console:case_parties", args=[case.id])).content.decode()
    assert portal.find_code(case.number, plain).party == applicant


def test_console_issue_for_a_respondent_names_pd1(client, case, clerk):
    respondent = factories.make_party(case, Role.RESPONDENT, "王某")
    client.force_login(clerk.user)
    response = client.post(
        reverse("console:code_issue", args=[case.id, respondent.id]), {f"party{respondent.id}-papers": "身份证"}
    )
    assert response.status_code == 400
    assert "PD1" in response.content.decode()
    assert not QueryCode.objects.exists()


def test_console_measure_bad_input_is_a_field_error(client, case, clerk):
    client.force_login(clerk.user)
    tomorrow = (clock.now() + timedelta(days=2)).date().isoformat()
    response = client.post(
        reverse("console:measure_add", args=[case.id]), {"kind": "seal", "description": "", "taken_on": tomorrow}
    )
    assert response.status_code == 400
    assert {"description"} <= set(response.context["measure_form"].errors)
    response = client.post(
        reverse("console:measure_add", args=[case.id]), {"kind": "seal", "description": "查封", "taken_on": tomorrow}
    )
    assert response.status_code == 400 and "taken_on" in response.context["measure_form"].errors
    assert not EnforcementMeasure.objects.exists()


def test_unread_count_covers_only_the_staff_members_cases(case, applicant, judge, court):
    other_judge = factories.make_staff(court, role=CourtStaff.Role.JUDGE)
    code = applicant.query_codes.first() or QueryCode.objects.get(
        pk=portal.issue_query_code(applicant, None, papers="x")[0].pk
    )
    portal.send_party_message(code, "你好")
    assert portal.unread_for_staff(judge) == 1
    assert portal.unread_for_staff(other_judge) == 0


# --- Command line -----------------------------------------------------------------------------
def test_issue_query_code_command(case, applicant):
    from io import StringIO

    from django.core.management import CommandError, call_command

    respondent = factories.make_party(case, Role.RESPONDENT, "王某")
    listing = StringIO()
    call_command("issue_query_code", case.number, stdout=listing)
    assert f"{applicant.id}\t" in listing.getvalue() and "PD1" in listing.getvalue()
    out = StringIO()
    call_command("issue_query_code", case.number, "--party", str(applicant.id), stdout=out, stderr=StringIO())
    assert portal.find_code(case.number, out.getvalue().strip()).party == applicant
    with pytest.raises(CommandError, match="PD1"):
        call_command("issue_query_code", case.number, "--party", str(respondent.id), stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("issue_query_code", "（2024）京0105执999999号")


def test_pd2_case_page_queries_do_not_grow_with_lots_and_rounds(client, case, applicant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.test_payments_support import close_round, paid_bidder

    factories.portal_login(client, applicant)
    counts = []
    for n in range(3):
        auction = factories.make_auction(factories.make_lot(case))
        _, registration, _ = paid_bidder(auction, f"buyer{n}")
        close_round(auction, registration, 81_000 + 1_000 * n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:case", args=[case.id])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_audit_names_who_acted(client, case, applicant, clerk):
    factories.issue_code(applicant)  # from the command line: no staff member
    plain = factories.issue_code(applicant, clerk.user)
    sign_in(client, case, plain)
    labels = list(PartyAccessEvent.objects.order_by("id").values_list("kind", "actor_label"))
    assert labels[:2] == [(Kind.VERIFIED, "系统"), (Kind.CODE_ISSUED, "系统")]
    assert (Kind.CODE_ISSUED, clerk.name) in labels and labels[-1] == (Kind.SIGNED_IN, applicant.name)


def test_demo_data_prints_a_working_query_code_once(db, client, settings, tmp_path):
    import io

    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path
    first, second = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    printed = re.findall(r"^  (（\d{4}）\S+号) / ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})  ", first.getvalue(), re.M)
    assert printed
    number, plain = printed[0]
    assert sign_in(client, EnforcementCase.objects.get(number=number), plain).status_code == 302
    assert plain not in second.getvalue() and f"****{plain[-4:]}" in second.getvalue()
    assert QueryCode.objects.count() == len(printed)


def test_pd2_timeline_keeps_algorithms_and_repeated_round_labels_out(case, clerk):
    lot = factories.make_lot(case)
    agency = DisposalRecord.objects.create(
        case=case,
        lot=lot,
        kind=DisposalRecord.Kind.AGENCY_DRAWN,
        at=clock.now(),
        actor_label="书记员",
        detail={"method": "sha256(seed) mod n; candidates sorted by id", "seed": "ab12"},
    )
    price = DisposalRecord.objects.create(
        case=case,
        lot=lot,
        kind=DisposalRecord.Kind.REFERENCE_PRICE_SET,
        at=clock.now(),
        actor_label="书记员",
        detail={"method": "online", "valid_until": "2027-01-01"},
    )
    assert portal.timeline_entry(agency)["details"] == []
    assert [(str(label), value) for label, value in portal.timeline_entry(price)["details"]] == [
        ("方式", "网络询价"),
        ("有效期至", "2027-01-01"),
    ]
