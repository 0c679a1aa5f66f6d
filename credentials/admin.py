"""The branches' signing keys and status lists in Django admin: read only (commands and the
services change them), never the encrypted private key."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import IssuerKey, StatusList


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(IssuerKey)
class IssuerKeyAdmin(_ReadOnly):
    list_display = ("branch", "public_key_multibase", "created_at", "retired_at")
    list_filter = ("branch",)
    search_fields = ("public_key_multibase", "branch__code")
    list_select_related = ("branch",)
    fields = ("branch", "public_key_multibase", "created_at", "retired_at")


@admin.register(StatusList)
class StatusListAdmin(_ReadOnly):
    list_display = ("branch", "number", "version", "signed_version")
    list_filter = ("branch",)
    list_select_related = ("branch",)
    fields = ("branch", "number", "version", "signed_version")
