from django.contrib import admin

from .models import IdentityView


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
