"""The court console pages: who may see what (own court only), CSRF, and each page's happy path."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from auctions import services as auction_services
from auctions.models import Auction
from lots import services
from lots.models import CourtApiToken
from tests import factories
from tests.console_support import draft_lot, media_root, round_kwargs  # noqa: F401


@pytest.fixture
def staff_client(client, clerk):
    client.force_login(clerk.user)
    return client


@pytest.fixture
def foreign(clerk_b):
    """Another court's case, lot, round and API token."""
    case = factories.make_case(clerk_b.court)
    lot = draft_lot(case, clerk_b.user)
    auction = auction_services.schedule_round(lot, clerk_b.user, **round_kwargs())
    token, _plaintext = services.issue_api_token(clerk_b.court, clerk_b.user, "外院系统")
    return {"case": case, "lot": lot, "auction": auction, "token": token}


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_user_is_forbidden(client, charlie):
    client.force_login(charlie)
    assert client.get(reverse("console:dashboard")).status_code == 403
    assert client.get(reverse("console:case_list")).status_code == 403


@pytest.mark.parametrize(
    ("name", "key", "method"),
    [
        ("console:case_detail", "case", "get"),
        ("console:lot_detail", "lot", "get"),
        ("console:lot_edit", "lot", "get"),
        ("console:round_create", "lot", "get"),
        ("console:photo_upload", "lot", "post"),
        ("console:document_upload", "lot", "post"),
        ("console:agency_draw", "lot", "post"),
        ("console:reference_price", "lot", "post"),
        ("console:round_detail", "auction", "get"),
        ("console:round_edit", "auction", "get"),
        ("console:round_confirm", "auction", "post"),
        ("console:announcement_publish", "auction", "post"),
        ("console:amendment_create", "auction", "post"),
        ("console:round_suspend", "auction", "post"),
        ("console:round_resume", "auction", "post"),
        ("console:api_token_revoke", "token", "post"),
    ],
)
def test_other_courts_objects_are_404(staff_client, foreign, name, key, method):
    url = reverse(name, args=[foreign[key].id])
    response = getattr(staff_client, method)(url)
    assert response.status_code == 404


def test_other_courts_rows_change_nothing(staff_client, foreign):
    staff_client.post(reverse("console:announcement_publish", args=[foreign["auction"].id]))
    staff_client.post(reverse("console:api_token_revoke", args=[foreign["token"].id]))
    assert Auction.objects.get().status == Auction.Status.SCHEDULED
    assert CourtApiToken.objects.get().revoked_at is None


def test_lists_show_only_own_court(staff_client, clerk, foreign):
    own = factories.make_case(clerk.court)
    page = staff_client.get(reverse("console:case_list")).content.decode()
    assert own.number in page and foreign["case"].number not in page
    assert foreign["lot"].title not in staff_client.get(reverse("console:dashboard")).content.decode()


def test_post_without_csrf_token_is_refused(clerk, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk.user)
    lot = draft_lot(case, clerk.user)
    assert client.post(reverse("console:agency_draw", args=[lot.id])).status_code == 403
    assert not lot.agency_draws.exists()


def test_login_page_sends_staff_to_console(client, db):
    staff = factories.make_staff(factories.make_court(), username="clerk9")
    page = client.get(reverse("login")).content.decode()
    assert 'name="next" value="/console/welcome/"' in page
    response = client.post(
        reverse("login"), {"username": "clerk9", "password": "pw-clerk9", "next": "/console/welcome/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("console:dashboard")
    assert staff.court.name in response.content.decode()


def test_login_sends_others_home(client, charlie):
    client.force_login(charlie)
    assert client.get(reverse("console:landing"))["Location"] == "/"


def test_admin_is_for_superusers_only(client, clerk, db):
    client.force_login(clerk.user)
    assert client.get("/admin/").status_code == 302
    clerk.user.is_staff = True  # even a mistaken is_staff flag does not open the admin
    clerk.user.save()
    assert client.get("/admin/").status_code == 302
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(root)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/lots/lot/").status_code == 200


def test_dashboard_shows_what_needs_attention(staff_client, case, clerk):
    draft = draft_lot(case, clerk.user, title="待完善的草稿标的")
    scheduled_lot = draft_lot(case, clerk.user, title="即将公告的标的")
    auction_services.schedule_round(scheduled_lot, clerk.user, **round_kwargs())
    stale = draft_lot(case, clerk.user, title="参考价已久的标的")
    stale.reference_prices.update(fixed_on=services.court_today().replace(year=2020))
    page = staff_client.get(reverse("console:dashboard")).content.decode()
    assert draft.title in page and scheduled_lot.title in page
    assert "RP4" in page and stale.title in page


def test_case_lot_and_round_pages_render(staff_client, case, clerk):
    services.add_party(
        case, clerk.user, role="respondent", kind="person", name="李四", id_number=factories.valid_id_number(3)
    )
    lot = draft_lot(case, clerk.user)
    auction = auction_services.schedule_round(lot, clerk.user, **round_kwargs())
    page = staff_client.get(reverse("console:case_detail", args=[case.id])).content.decode()
    assert "李四" in page and factories.valid_id_number(3) not in page  # console shows masked ID numbers
    assert staff_client.get(reverse("console:lot_detail", args=[lot.id])).status_code == 200
    assert staff_client.get(reverse("console:lot_list")).status_code == 200
    page = staff_client.get(reverse("console:round_detail", args=[auction.id])).content.decode()
    assert "拍卖公告（预览）" in page and "特别提示" in page


def test_publish_and_amend_through_the_console(staff_client, case, clerk):
    auction = auction_services.schedule_round(draft_lot(case, clerk.user), clerk.user, **round_kwargs())
    response = staff_client.post(reverse("console:announcement_publish", args=[auction.id]), follow=True)
    assert "拍卖公告已发布" in response.content.decode()
    auction.refresh_from_db()
    assert auction.status == Auction.Status.ANNOUNCED
    again = staff_client.post(reverse("console:announcement_publish", args=[auction.id]), follow=True)
    assert "公告已发布，不能修改" in again.content.decode()
    staff_client.post(
        reverse("console:amendment_create", args=[auction.id]), {"text": "看样改期", "reason": "法院安排"}
    )
    assert auction.announcement.amendments.get().seq == 1
    page = staff_client.get(reverse("console:round_edit", args=[auction.id]), follow=True).content.decode()
    assert "更正第1号" in page


def test_api_token_plaintext_shown_once(staff_client, clerk):
    response = staff_client.post(reverse("console:api_tokens"), {"name": "本院办案系统"})
    token = CourtApiToken.objects.get()
    plaintext = response.context["plaintext"]
    assert plaintext.startswith(token.prefix + ".") and plaintext in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert plaintext not in staff_client.get(reverse("console:api_tokens")).content.decode()
    staff_client.post(reverse("console:api_token_revoke", args=[token.id]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_agency_draw_from_the_lot_page(staff_client, case, clerk):
    lot = draft_lot(case, clerk.user)
    response = staff_client.post(reverse("console:agency_draw", args=[lot.id]), follow=True)
    assert "摇号完成" in response.content.decode() and lot.agency_draws.count() == 1


def test_fa4_suspend_and_resume_from_the_console(staff_client, case, clerk):
    auction = auction_services.schedule_round(draft_lot(case, clerk.user), clerk.user, **round_kwargs())
    auction_services.publish_announcement(auction, clerk.user)
    url = reverse("console:round_suspend", args=[auction.id])
    refused = staff_client.post(url, {"reason": " "}, follow=True).content.decode()
    assert "FA4：" in refused
    page = staff_client.post(url, {"reason": "案外人提出异议"}, follow=True).content.decode()
    auction.refresh_from_db()
    assert auction.status == Auction.Status.SUSPENDED and "案外人提出异议" in page
    staff_client.post(reverse("console:round_resume", args=[auction.id]))
    auction.refresh_from_db()
    assert auction.status == Auction.Status.ANNOUNCED
