"""Bidders, registrations, priority rights and the bid record in the superuser admin: read-only.
Identities appear masked only (AN5, BD3)."""

from django.contrib import admin

from lots.admin import ReadOnlyAdmin

from .identity_audit import record_identity_views
from .models import Bid, BidderProfile, IdentityView, PriorityRight, Registration


@admin.register(BidderProfile)
class BidderProfileAdmin(ReadOnlyAdmin):
    fields = ["user", "real_name", "id_number_masked", "phone_masked", "created_at"]
    list_display = ["user", "id_number_masked", "created_at"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page shows the bidder's real name: it lands in the identity audit log."""
        response = super().change_view(request, object_id, form_url, extra_context)
        profile = self.get_object(request, object_id)
        if profile is not None and response.status_code == 200:
            record_identity_views(
                actor=request.user,
                subjects=[profile.user],
                purpose=IdentityView.Purpose.ADMIN_PROFILE,
                path=request.path,
            )
        return response


@admin.register(PriorityRight)
class PriorityRightAdmin(ReadOnlyAdmin):
    fields = ["auction", "name", "id_number_masked", "rank", "confirmed_by", "confirmed_at"]
    list_display = ["auction", "name", "rank"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["auction", "code", "user", "priority_rank", "is_applicant"]


@admin.register(Bid)
class BidAdmin(ReadOnlyAdmin):
    list_display = ["auction", "seq", "registration", "amount", "received_at"]


@admin.register(IdentityView)
class IdentityViewAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only for everyone, the admin included."""

    list_display = ["at", "actor", "court", "subject", "auction", "purpose"]
    list_filter = ["purpose", "court"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
