"""The audit trail in Django admin: read only, for national administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "action",
        "actor_label",
        "branch",
        "object_type",
        "object_id",
        "ip_address",
    )
    list_filter = ("action", "branch")
    search_fields = ("actor_label", "object_label", "object_id")
    date_hierarchy = "at"
    list_select_related = ("branch",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
