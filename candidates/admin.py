"""Admin of candidates and dossiers.

Dossiers are opened and moved only through the services (numbering, state machine, history):
the admin shows them, lets the administrator correct a company or the first-certification flag,
and never deletes a dossier nor its history (withdraw it instead).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from branches.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    Candidate,
    CreditedCapacity,
    Dossier,
    DossierHistory,
    EvidenceDossier,
    EvidenceFile,
    EvidenceStatement,
    Person,
    PersonEvent,
)


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "birth_date", "branch", "email", "user")
    list_filter = ("branch",)
    list_select_related = ("branch", "user")
    search_fields = ("last_name", "first_name", "email", "user__email")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A candidate with a dossier is protected by the database anyway; say so up front.
        if obj is not None and obj.dossiers.exists():
            return False
        return super().has_delete_permission(request, obj)


class HistoryInline(ReadOnlyInline):
    model = DossierHistory
    fields = ("at", "from_status", "to_status", "by", "comment")
    readonly_fields = fields
    show_change_link = False


class EvidenceInline(ReadOnlyInline):
    model = EvidenceFile
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "candidate",
        "branch",
        "referentiel_title",
        "access_route",
        "status",
        "first_certification",
        "opened_on",
    )
    list_filter = ("status", "access_route", "first_certification", "branch")
    list_select_related = ("candidate", "branch", "version__referentiel")
    search_fields = (
        "reference",
        "candidate__last_name",
        "candidate__first_name",
        "company__name",
    )
    date_hierarchy = "opened_on"
    autocomplete_fields = ("company",)
    fields = (
        "reference",
        "candidate",
        "branch",
        "company",
        "version",
        "access_route",
        "first_certification",
        "status",
        "opened_on",
        "status_changed_at",
        "created_by",
    )
    readonly_fields = (
        "reference",
        "candidate",
        "branch",
        "version",
        "access_route",
        "status",
        "opened_on",
        "status_changed_at",
        "created_by",
    )
    inlines = [HistoryInline, EvidenceInline]

    @admin.display(description=_("CQPI"), ordering="version__referentiel__title")
    def referentiel_title(self, obj: Dossier) -> str:
        return f"{obj.version.referentiel.title} (v{obj.version.number})"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # opened through the portal, which numbers it and checks the CQPI

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # withdrawn, never deleted: its history would go with it


@admin.register(DossierHistory)
class DossierHistoryAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "from_status", "to_status", "by", "at")
    list_filter = ("to_status",)
    list_select_related = ("dossier", "by")
    search_fields = ("dossier__reference", "comment")
    date_hierarchy = "at"


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdmin):
    """Metadata only: the files are served through the permission-checked dossier views."""

    list_display = (
        "original_name",
        "dossier",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    list_select_related = ("dossier", "uploaded_by")
    search_fields = ("original_name", "dossier__reference")
    exclude = ("file",)


class EvidenceStatementInline(ReadOnlyInline):
    model = EvidenceStatement
    fields = ("capacity", "text", "updated_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(EvidenceDossier)
class EvidenceDossierAdmin(ReadOnlyAdmin):
    """The candidate's dossier of evidence (VAE): written in their space, returned by staff."""

    list_display = ("dossier", "status", "submitted_at", "returned_at", "updated_at")
    list_filter = ("status",)
    list_select_related = ("dossier",)
    search_fields = ("dossier__reference",)
    inlines = [EvidenceStatementInline]


@admin.register(EvidenceStatement)
class EvidenceStatementAdmin(ReadOnlyAdmin):
    list_display = ("evidence_dossier", "capacity", "updated_at")
    list_select_related = ("evidence_dossier__dossier", "capacity")
    search_fields = ("evidence_dossier__dossier__reference",)


class PersonEventInline(ReadOnlyInline):
    model = PersonEvent
    fk_name = "person"
    fields = ("at", "action", "candidate", "other_person", "by", "consent_at", "comment")
    readonly_fields = fields
    show_change_link = False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    """National persons: linked with consent and merged through the services (the merge page)."""

    list_display = ("national_number", "last_name", "first_name", "birth_date", "merged_into")
    search_fields = ("last_name", "first_name", "identity_key")
    inlines = [PersonEventInline]


@admin.register(PersonEvent)
class PersonEventAdmin(ReadOnlyAdmin):
    list_display = ("person", "action", "candidate", "by", "at", "consent_at")
    list_filter = ("action",)


@admin.register(CreditedCapacity)
class CreditedCapacityAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "capacity", "document_number", "source", "credited_at")
    list_filter = ("source",)
