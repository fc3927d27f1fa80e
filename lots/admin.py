"""Django admin, for superusers only: court set-up (courts, panels, staff) and a read-only view of
the domain. Court staff work in the console; every state change there goes through a service."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    AgencyDraw,
    AppraisalAgency,
    Court,
    CourtApiToken,
    CourtStaff,
    DisposalRecord,
    EnforcementCase,
    Lot,
    Party,
    ReferencePrice,
)


def superuser_only(request) -> bool:
    """is_staff alone does not open the admin: court staff never need it."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = superuser_only
admin.site.site_header = _("网络司法拍卖平台 · 系统管理")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write (records, ledgers, bids): visible, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AppraisalAgency)
class AppraisalAgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "phone"]
    search_fields = ["name"]


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "province", "region"]
    search_fields = ["name", "code"]
    filter_horizontal = ["panel"]


@admin.register(CourtStaff)
class CourtStaffAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "court", "user"]
    list_filter = ["court", "role"]
    autocomplete_fields = ["user"]


@admin.register(EnforcementCase)
class EnforcementCaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "court", "cause", "filed_on", "status"]
    list_filter = ["court", "status"]
    search_fields = ["number"]


@admin.register(Party)
class PartyAdmin(ReadOnlyAdmin):
    # Only the masked forms: full personal data is not shown even to superusers (AN5).
    fields = ["case", "role", "kind", "name", "id_number_masked", "phone_masked", "address_masked", "claim_amount"]
    list_display = ["name", "role", "kind", "case", "id_number_masked"]
    list_filter = ["role", "kind"]


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ["title", "court", "category", "status"]
    list_filter = ["court", "category", "status"]
    search_fields = ["title"]


@admin.register(ReferencePrice)
class ReferencePriceAdmin(ReadOnlyAdmin):
    list_display = ["lot", "method", "value", "valuation_date", "valid_until"]


@admin.register(AgencyDraw)
class AgencyDrawAdmin(ReadOnlyAdmin):
    list_display = ["lot", "result", "drawn_at", "drawn_by"]


@admin.register(DisposalRecord)
class DisposalRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "kind", "lot", "actor_label", "amount"]
    list_filter = ["kind"]


@admin.register(CourtApiToken)
class CourtApiTokenAdmin(ReadOnlyAdmin):
    fields = ["court", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_display = ["court", "name", "prefix", "created_at", "revoked_at"]
