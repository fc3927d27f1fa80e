"""Bidders, registrations, priority rights and the bid record in the superuser admin: read-only.
Identities appear masked only (AN5, BD3)."""

from django.contrib import admin

from lots.admin import ReadOnlyAdmin

from .models import Bid, BidderProfile, PriorityRight, Registration


@admin.register(BidderProfile)
class BidderProfileAdmin(ReadOnlyAdmin):
    fields = ["user", "real_name", "id_number_masked", "phone_masked", "created_at"]
    list_display = ["user", "id_number_masked", "created_at"]


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
