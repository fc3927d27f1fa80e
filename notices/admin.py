"""Read-only admin views for operators: which notifications went out, which emails failed and why."""

from django.contrib import admin

from lots.admin import ReadOnlyAdmin

from .models import Notification, ReminderSubscription


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("key", "kind", "user", "party", "created_at", "in_site", "read_at", "email", "email_attempts")
    list_filter = ("kind", "email", "in_site")
    search_fields = ("key",)
    exclude = ("params",)  # amounts and lot titles only, but not needed to operate


@admin.register(ReminderSubscription)
class ReminderSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("auction", "user", "created_at")
