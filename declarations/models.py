"""The declaration of awards to the Caisse des Dépôts (Passeport de compétences): each flux
produced, the awards it holds, and the Caisse's acknowledgement of each (docs/cdc.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.access import roles_of
from branches.models import Branch
from certifications.models import Certificate
from core.undeletable import UndeletableModel, UndeletableQuerySet


class FluxStatus(models.TextChoices):
    SENT = "sent", _("En attente de l'accusé de réception")
    ACKNOWLEDGED = "acknowledged", _("Accusé de réception enregistré")


class EntryOutcome(models.TextChoices):
    PENDING = "pending", _("Déclarée, en attente")
    ACCEPTED = "accepted", _("Acceptée")
    REJECTED = "rejected", _("Rejetée")


class FluxQuerySet(UndeletableQuerySet):
    def visible_to(self, user: Any) -> FluxQuerySet:
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.is_authenticated:
            return self.none()
        return self.filter(branch_id__in=roles.staff_branch_ids)


def _flux_path(instance: DeclarationFlux, filename: str) -> str:
    return f"cdc/{instance.branch_id}/{instance.reference}.xml"


class DeclarationFlux(UndeletableModel):
    """One XML file of the accrochage, valid against the Caisse's schema, never deleted."""

    reference = models.CharField(_("identifiant du flux (idFlux)"), max_length=50, unique=True)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="cdc_fluxes", verbose_name=_("branche")
    )
    created_at = models.DateTimeField(_("produit le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("fichier XML"), upload_to=_flux_path)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        _("statut"), max_length=20, choices=FluxStatus.choices, default=FluxStatus.SENT
    )
    acknowledged_at = models.DateTimeField(_("accusé de réception enregistré le"), null=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    objects = FluxQuerySet.as_manager()

    class Meta:
        verbose_name = _("flux de déclaration")
        verbose_name_plural = _("flux de déclaration")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reference


class DeclarationEntry(UndeletableModel):
    """One award in one flux (a `passageCertification`), and what the Caisse said of it."""

    flux = models.ForeignKey(DeclarationFlux, on_delete=models.PROTECT, related_name="entries")
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="cdc_entries"
    )
    id_technique = models.CharField(_("identifiant technique"), max_length=255)
    outcome = models.CharField(
        _("résultat"), max_length=20, choices=EntryOutcome.choices, default=EntryOutcome.PENDING
    )
    rejection_reason = models.TextField(_("motif du rejet"), blank=True)
    correction_recorded_at = models.DateTimeField(
        _("déclaration corrective enregistrée le"), null=True, blank=True
    )
    correction_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    correction_note = models.TextField(_("déclaration corrective"), blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification déclarée")
        verbose_name_plural = _("certifications déclarées")
        ordering = ["flux", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["flux", "certificate"], name="one_entry_per_award"),
            # An award is declared once at a time: a new entry only after a rejection.
            models.UniqueConstraint(
                fields=["certificate"],
                condition=~Q(outcome="rejected"),
                name="one_live_declaration_per_award",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flux_id}: {self.id_technique}"
