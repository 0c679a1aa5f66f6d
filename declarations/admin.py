from typing import Any

from django.contrib import admin

from .models import DeclarationEntry, DeclarationFlux


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(DeclarationFlux)
class DeclarationFluxAdmin(ReadOnly):
    list_display = ("reference", "branch", "created_at", "status")
    list_filter = ("status", "branch")


@admin.register(DeclarationEntry)
class DeclarationEntryAdmin(ReadOnly):
    list_display = ("id_technique", "flux", "outcome")
    list_filter = ("outcome",)
