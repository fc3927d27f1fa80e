"""Deposits in the superuser admin: read-only; money moves only through payments/services.py."""

from django.contrib import admin

from lots.admin import ReadOnlyAdmin

from .models import Deposit


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    list_display = ["registration", "amount", "status", "provider", "secured_at"]
    list_filter = ["status", "provider"]
