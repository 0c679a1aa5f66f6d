"""Admin of CQPI référentiels and certificates.

A version in force is never edited (dossiers are bound to it): its blocs, capacities and indicators
are read-only once it leaves the draft. Certificates are never deleted nor edited here: they are
revoked through the service, with a reason.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from branches.admin import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError

from . import services
from .models import (
    Adoption,
    Bloc,
    Capacity,
    Certificate,
    CertificateEvent,
    Equivalence,
    Indicator,
    Referentiel,
    ReferentielVersion,
    Registration,
    VersionStatus,
)


def _report(
    modeladmin: admin.ModelAdmin, request: HttpRequest, done: int, errors: list[str]
) -> None:
    for error in errors:
        modeladmin.message_user(request, error, messages.WARNING)
    if done:
        modeladmin.message_user(
            request,
            ngettext("%(count)d élément traité.", "%(count)d éléments traités.", done)
            % {"count": done},
            messages.SUCCESS,
        )


# --- Référentiels ------------------------------------------------------------


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0


class AdoptionInline(admin.TabularInline):
    model = Adoption
    extra = 0
    autocomplete_fields = ("branch",)


class VersionInline(ReadOnlyInline):
    model = ReferentielVersion
    fields = ("number", "status", "effective_from", "notes")


@admin.register(Referentiel)
class ReferentielAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "level", "eqf_level", "status", "illustrative", "validated_on")
    list_filter = ("status", "illustrative", "level")
    search_fields = ("title", "code", "registrations__code")
    readonly_fields = ("status", "validated_on")
    inlines = [RegistrationInline, AdoptionInline, VersionInline]
    actions = ["validate"]

    @admin.action(description=_("Valider les CQPI sélectionnés (au moins deux adoptions)"))
    def validate(self, request: HttpRequest, queryset: QuerySet[Referentiel]) -> None:
        done, errors = 0, []
        for referentiel in queryset:
            try:
                services.referentiel_validate(referentiel=referentiel, by=request.user)
                done += 1
            except DomainError as exc:
                errors.append(f"{referentiel} : {exc.message}")
        _report(self, request, done, errors)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "referentiel", "decision_date", "valid_until")
    list_filter = ("kind",)
    list_select_related = ("referentiel",)
    search_fields = ("code", "referentiel__title")
    date_hierarchy = "valid_until"


@admin.register(Adoption)
class AdoptionAdmin(admin.ModelAdmin):
    list_display = ("referentiel", "branch", "accord_date")
    list_filter = ("referentiel", "branch")
    list_select_related = ("referentiel", "branch")
    search_fields = ("referentiel__title", "branch__name")
    autocomplete_fields = ("branch",)


def _is_draft(version: ReferentielVersion | None) -> bool:
    return version is None or version.status == VersionStatus.DRAFT


class DraftContentMixin:
    """Content is editable only while its version is a draft."""

    def version_of(self, obj: Any) -> ReferentielVersion | None:
        raise NotImplementedError

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (  # type: ignore[misc]
            obj is None or _is_draft(self.version_of(obj))
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (  # type: ignore[misc]
            obj is None or _is_draft(self.version_of(obj))
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(self, admin.options.InlineModelAdmin):
            if obj is not None and not _is_draft(self.version_of(obj)):
                return False
            return super().has_add_permission(request, obj)  # type: ignore[misc]
        return super().has_add_permission(request)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # New content goes only into draft versions.
        drafts = {
            "version": ReferentielVersion.objects.filter(status=VersionStatus.DRAFT),
            "bloc": Bloc.objects.filter(version__status=VersionStatus.DRAFT),
            "capacity": Capacity.objects.filter(bloc__version__status=VersionStatus.DRAFT),
        }
        if db_field.name in drafts:
            kwargs["queryset"] = drafts[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class BlocInline(DraftContentMixin, admin.TabularInline):
    model = Bloc
    extra = 0
    show_change_link = True

    def version_of(self, obj: Any) -> ReferentielVersion | None:
        return obj  # the parent is the version


@admin.register(ReferentielVersion)
class ReferentielVersionAdmin(admin.ModelAdmin):
    list_display = ("referentiel", "number", "status", "effective_from")
    list_filter = ("status", "referentiel")
    list_select_related = ("referentiel",)
    search_fields = ("referentiel__title", "referentiel__code")
    inlines = [BlocInline]
    actions = ["publish"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or obj.status == VersionStatus.DRAFT:
            return ("status",)
        return ("referentiel", "number", "effective_from", "status")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and _is_draft(obj)

    @admin.action(description=_("Mettre en vigueur les versions sélectionnées"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ReferentielVersion]) -> None:
        done, errors = 0, []
        for version in queryset:
            try:
                services.version_publish(version=version, by=request.user)
                done += 1
            except DomainError as exc:
                errors.append(f"{version} : {exc.message}")
        _report(self, request, done, errors)


class CapacityInline(DraftContentMixin, admin.TabularInline):
    model = Capacity
    extra = 0
    show_change_link = True

    def version_of(self, obj: Any) -> ReferentielVersion | None:
        return obj.version if obj is not None else None


@admin.register(Bloc)
class BlocAdmin(DraftContentMixin, admin.ModelAdmin):
    list_display = ("code", "title", "version", "order")
    list_filter = ("version__referentiel",)
    list_select_related = ("version__referentiel",)
    search_fields = ("code", "title", "version__referentiel__title")
    raw_id_fields = ("version",)
    inlines = [CapacityInline]

    def version_of(self, obj: Any) -> ReferentielVersion | None:
        return obj.version


class IndicatorInline(DraftContentMixin, admin.TabularInline):
    model = Indicator
    extra = 0

    def version_of(self, obj: Any) -> ReferentielVersion | None:
        return obj.bloc.version if obj is not None else None


@admin.register(Capacity)
class CapacityAdmin(DraftContentMixin, admin.ModelAdmin):
    list_display = ("code", "title", "bloc", "version")
    list_filter = ("bloc__version__referentiel",)
    list_select_related = ("bloc__version__referentiel",)
    search_fields = ("code", "title", "bloc__version__referentiel__title")
    raw_id_fields = ("bloc",)
    inlines = [IndicatorInline]

    def version_of(self, obj: Any) -> ReferentielVersion | None:
        return obj.bloc.version

    @admin.display(description=_("version"))
    def version(self, obj: Capacity) -> str:
        return str(obj.bloc.version)


@admin.register(Indicator)
class IndicatorAdmin(DraftContentMixin, admin.ModelAdmin):
    list_display = ("label", "threshold", "max_mark", "capacity")
    list_filter = ("capacity__bloc__version__referentiel",)
    list_select_related = ("capacity",)
    search_fields = ("label", "capacity__code", "capacity__title")
    raw_id_fields = ("capacity",)

    def version_of(self, obj: Any) -> ReferentielVersion | None:
        return obj.capacity.bloc.version


# --- Certificates --------------------------------------------------------------


class CertificateActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Motif (révocation)"),
        required=False,
        widget=forms.TextInput(attrs={"size": 50}),
    )


class CertificateEventInline(ReadOnlyInline):
    model = CertificateEvent
    fields = ("at", "action", "by", "comment")
    readonly_fields = fields
    show_change_link = False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """View-only: issued by a jury decision, revoked (never deleted) with a reason."""

    list_display = (
        "number",
        "kind",
        "holder_name",
        "branch",
        "issued_on",
        "status",
        "render_status",
    )
    list_filter = ("status", "kind", "render_status", "branch")
    list_select_related = ("branch",)
    search_fields = ("number", "holder_name", "dossier__reference", "verification_code")
    date_hierarchy = "issued_on"
    inlines = [CertificateEventInline]
    action_form = CertificateActionForm
    actions = ["revoke", "retry_render"]
    fieldsets = (
        (None, {"fields": ("number", "kind", "status", "holder_name", "branch", "version")}),
        (
            _("Délivrance"),
            {
                "fields": (
                    "dossier",
                    "decision",
                    "issued_on",
                    "place_of_issue",
                    "valid_until",
                    "reissue_of",
                    "verification_link",
                )
            },
        ),
        (_("Révocation"), {"fields": ("revoked_at", "revocation_reason")}),
        (
            _("Document"),
            {
                "fields": (
                    "render_status",
                    "render_attempts",
                    "render_error",
                    "rendered_at",
                    "pdf_sha256",
                    "reported_to_passport_at",
                )
            },
        ),
        (_("Contenu certifié (instantané)"), {"fields": ("snapshot_display",)}),
    )
    readonly_fields = ("verification_link", "snapshot_display")

    @admin.display(description=_("contenu certifié"))
    def snapshot_display(self, obj: Certificate) -> str:
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>",
            json.dumps(obj.snapshot, ensure_ascii=False, indent=2),
        )

    @admin.display(description=_("vérification publique"))
    def verification_link(self, obj: Certificate) -> str:
        try:
            url = obj.get_absolute_url()
        except NoReverseMatch:
            return obj.verification_code
        return format_html('<a href="{}">{}</a>', url, obj.verification_code)

    @admin.action(description=_("Révoquer les certificats sélectionnés (motif obligatoire)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Indiquez le motif de la révocation."), messages.ERROR)
            return
        done, errors = 0, []
        for certificate in queryset:
            try:
                services.certificate_revoke(certificate=certificate, reason=reason, by=request.user)
                done += 1
            except DomainError as exc:
                errors.append(f"{certificate.number} : {exc.message}")
        _report(self, request, done, errors)

    @admin.action(description=_("Relancer la génération du PDF (certificats en échec)"))
    def retry_render(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        done, errors = 0, []
        for certificate in queryset:
            try:
                services.certificate_retry_render(certificate=certificate, by=request.user)
                done += 1
            except DomainError as exc:
                errors.append(f"{certificate.number} : {exc.message}")
        _report(self, request, done, errors)


@admin.register(CertificateEvent)
class CertificateEventAdmin(ReadOnlyAdmin):
    list_display = ("certificate", "action", "by", "at")
    list_filter = ("action",)
    list_select_related = ("certificate", "by")
    search_fields = ("certificate__number", "comment")
    date_hierarchy = "at"


@admin.register(Equivalence)
class EquivalenceAdmin(ReadOnlyAdmin):
    """The equivalence table is kept through its page (proposed, approved, superseded by the
    services, with the audit trail); shown here, never written."""

    list_display = ("__str__", "status", "created_at", "approved_at", "superseded_at")
    list_filter = ("status",)
