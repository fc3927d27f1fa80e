"""Rounds, announcements and the event log in the superuser admin: read-only (AN6, BI4)."""

from django.contrib import admin

from lots.admin import ReadOnlyAdmin

from .models import Announcement, AnnouncementAmendment, Auction, AuctionEvent


@admin.register(Auction)
class AuctionAdmin(ReadOnlyAdmin):
    list_display = ["lot", "round_no", "kind", "status", "starts_at", "ends_at", "current_price"]
    list_filter = ["status", "kind"]
    search_fields = ["lot__title"]


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["auction", "publish_at", "published_at"]


@admin.register(AnnouncementAmendment)
class AnnouncementAmendmentAdmin(ReadOnlyAdmin):
    list_display = ["announcement", "seq", "reason", "published_at"]


@admin.register(AuctionEvent)
class AuctionEventAdmin(ReadOnlyAdmin):
    list_display = ["auction", "seq", "kind", "created_at"]
    list_filter = ["kind"]
