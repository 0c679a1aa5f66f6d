"""Admin of branches, their charter signatures, companies and the roles people hold in them."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Branch,
    CharterSignature,
    Company,
    ConflictOfInterest,
    Counter,
    EvaluatorHabilitation,
    Membership,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown to the national administrator, never written here: the services write these rows
    (numbering, state machine, object grants, history), and some must never be deleted."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class CharterSignatureInline(admin.TabularInline):
    model = CharterSignature
    extra = 0


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "place_of_issue",
        "partial_validity_months",
        "quorum_rule",
        "require_two_factor",
    )
    list_filter = ("quorum_rule", "require_two_factor")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    inlines = [CharterSignatureInline]

    # One door: once a branch exists its settings change on its portal page
    # (administration:branch_settings), whose service checks the signature image and writes the trail.
    SETTINGS = (
        "certifier_name",
        "place_of_issue",
        "signatory_name",
        "signatory_title",
        "signatory_image",
        "partial_validity_months",
        "quorum_rule",
        "quorum_minimum",
        "require_two_factor",
    )

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return self.SETTINGS if obj is not None else ("signatory_image",)

    fieldsets = (
        (None, {"fields": ("name", "code")}),
        (
            _("Certificats"),
            {
                "fields": (
                    "certifier_name",
                    "place_of_issue",
                    "signatory_name",
                    "signatory_title",
                    "signatory_image",
                )
            },
        ),
        (
            _("Règles de la branche"),
            {
                "fields": (
                    "partial_validity_months",
                    "quorum_rule",
                    "quorum_minimum",
                    "require_two_factor",
                )
            },
        ),
    )


@admin.register(CharterSignature)
class CharterSignatureAdmin(admin.ModelAdmin):
    list_display = ("branch", "signed_on", "approving_body")
    list_filter = ("branch",)
    list_select_related = ("branch",)
    search_fields = ("branch__name", "approving_body")
    date_hierarchy = "signed_on"


# Companies are registered on the branch's "Entreprises" page (accounts.services, audited).
@admin.register(Company)
class CompanyAdmin(ReadOnlyAdmin):
    list_display = ("name", "siret", "city", "branch", "created_at")
    list_filter = ("branch",)
    list_select_related = ("branch",)
    search_fields = ("name", "siret", "city")
    readonly_fields = ("created_at",)


# Roles are given and withdrawn on the branch's "Membres" page (administration.services), which
# writes the référents' grants and the trail; the admin shows them.
@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "branch", "role", "college", "company", "is_active")
    list_filter = ("role", "college", "is_active", "branch")
    list_select_related = ("user", "branch", "company")
    search_fields = ("user__email", "user__last_name", "branch__name", "company__name")
    autocomplete_fields = ("user", "company")


# Habilitations and conflicts are written on the branch's "Évaluateurs" page, through the
# audited services (accounts.services); the admin shows them.
@admin.register(EvaluatorHabilitation)
class EvaluatorHabilitationAdmin(ReadOnlyAdmin):
    list_display = (
        "evaluator",
        "branch",
        "referentiel",
        "valid_from",
        "valid_until",
        "suspended_at",
    )
    list_filter = ("branch", "referentiel")
    list_select_related = ("evaluator", "branch", "referentiel")
    search_fields = ("evaluator__email", "evaluator__last_name", "referentiel__title")
    autocomplete_fields = ("evaluator",)
    date_hierarchy = "valid_until"


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(ReadOnlyAdmin):
    list_display = ("evaluator", "company", "referentiel", "reason", "declared_on")
    list_filter = ("referentiel",)
    list_select_related = ("evaluator", "company", "referentiel")
    search_fields = ("evaluator__email", "evaluator__last_name", "company__name")
    autocomplete_fields = ("evaluator", "company")


@admin.register(Counter)
class CounterAdmin(ReadOnlyAdmin):
    """Numbering sequences: a number handed out is never given again."""

    list_display = ("branch", "kind", "year", "last_value")
    list_filter = ("kind", "year", "branch")
    list_select_related = ("branch",)
