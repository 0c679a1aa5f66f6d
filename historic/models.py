"""A certificate or partial attestation issued before the platform, as printed on paper.

Imported, never edited, never deleted (`UndeletableModel`): it is the record of a legal act
made elsewhere. The holder's identity has the shape of `candidates.Candidate`'s, so that the
national person record (issue #18, items 1–2) can be linked to it by the same matching rules.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from branches.access import roles_of
from branches.models import Branch
from candidates.models import AccessRoute, Person, Sex
from certifications.models import CertificateKind, Referentiel, ReferentielVersion
from core.identity import NormalisedIdentity, identity_of
from core.text import person_name
from core.undeletable import UndeletableModel, UndeletableQuerySet

# Sent once per imported batch (bulk inserts send no post_save): the figures go stale.
historic_imported = Signal()


def number_key(number: str) -> str:
    """The number as looked up: capitals, without spaces, dots, dashes or slashes, so that
    "MET 2008-0042" typed as "met-2008-0042" is found."""
    text = unicodedata.normalize("NFKD", number).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def name_key(name: str) -> str:
    """A name as compared: no accents, no case, no spaces, hyphens or apostrophes."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


class HistoricCertificateQuerySet(UndeletableQuerySet):
    def visible_to(self, user: Any) -> HistoricCertificateQuerySet:
        """The national administrator sees every branch's records, CPNE staff their branches';
        nobody else any: the COC reads figures, not names, and the public reaches one record
        through the verification page only."""
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.is_staff_member:
            return self.none()
        return self.filter(branch_id__in=roles.staff_branch_ids)


class HistoricCertificate(UndeletableModel):
    """A certificate or partial attestation a branch issued before the platform."""

    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="historic_certificates",
        verbose_name=_("branche"),
    )
    number = models.CharField(_("numéro (tel qu'imprimé)"), max_length=60)
    number_key = models.CharField(_("numéro (forme de recherche)"), max_length=60, editable=False)
    kind = models.CharField(_("nature"), max_length=20, choices=CertificateKind.choices)
    referentiel = models.ForeignKey(
        Referentiel,
        on_delete=models.PROTECT,
        related_name="historic_certificates",
        verbose_name=_("CQPI"),
    )
    # Empty: the version is anterior to the platform (the référentiel of the time is not in it).
    version = models.ForeignKey(
        ReferentielVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="historic_certificates",
        verbose_name=_("version du référentiel"),
    )
    cqpi_title = models.CharField(_("intitulé du CQPI"), max_length=200)
    issued_on = models.DateField(_("date de délivrance"))
    # The holder, in the shape of candidates.Candidate's identity.
    last_name = models.CharField(_("nom"), max_length=120)
    first_name = models.CharField(_("prénom"), max_length=120)
    birth_date = models.DateField(_("date de naissance"))
    birth_place = models.CharField(_("lieu de naissance"), max_length=120, blank=True)
    usage_name = models.CharField(_("nom d'usage"), max_length=60, blank=True)
    first_name_2 = models.CharField(_("deuxième prénom"), max_length=60, blank=True)
    first_name_3 = models.CharField(_("troisième prénom"), max_length=60, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    birth_insee_code = models.CharField(
        _("code INSEE de la commune de naissance"), max_length=5, blank=True
    )
    birth_postal_code = models.CharField(
        _("code postal de la commune de naissance"), max_length=5, blank=True
    )
    birth_country_code = models.CharField(_("code du pays de naissance"), max_length=3, blank=True)
    birth_country_label = models.CharField(_("pays de naissance"), max_length=60, blank=True)
    # What the paper or the branch's register says, when it says it.
    access_route = models.CharField(
        _("voie d'accès"), max_length=30, choices=AccessRoute.choices, blank=True
    )
    first_certification = models.BooleanField(_("première certification"), null=True)
    capacities = models.JSONField(_("capacités validées"), default=list, blank=True)
    signatory = models.CharField(_("signataire"), max_length=200, blank=True)
    # The batch: one file imported by one person, one audit event.
    batch = models.UUIDField(_("lot d'import"), db_index=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("importé par"),
    )
    imported_at = models.DateTimeField(_("importé le"))
    # The national holder record (#18): set at import (rows of one identity share one; an
    # existing person only if already tied to this branch), moved to the holder's own person
    # when they claim the record.
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="historic_certificates",
        verbose_name=_("personne"),
    )
    # The invitation to claim it: the last one sent (a new one replaces it), and the claim.
    claim_email = models.EmailField(_("invitation envoyée à"), blank=True)
    claim_invited_at = models.DateTimeField(_("invitation envoyée le"), null=True, blank=True)
    claim_invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invitation envoyée par"),
    )
    # Wrong birth dates given since the invitation: past the limit, only a new invitation helps.
    claim_failures = models.PositiveSmallIntegerField(_("essais refusés"), default=0)
    claimed_at = models.DateTimeField(_("revendiqué le"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revendiqué par"),
    )

    objects = HistoricCertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificat délivré avant la plateforme")
        verbose_name_plural = _("certificats délivrés avant la plateforme")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "number_key"], name="unique_historic_number_per_branch"
            ),
            models.CheckConstraint(condition=~Q(number_key=""), name="historic_number_not_empty"),
        ]
        indexes = [
            models.Index(fields=["number_key", "birth_date"], name="historic_verify_idx"),
            models.Index(fields=["issued_on"], name="historic_issued_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.holder_name}"

    @property
    def holder_name(self) -> str:
        """Prénom NOM, as the platform's documents and pages write a holder's name."""
        return person_name(self.first_name, self.last_name)

    @property
    def holder_full_name(self) -> str:
        """Every first name, then the birth name: the record as the paper prints it."""
        first_names = " ".join(
            name for name in (self.first_name, self.first_name_2, self.first_name_3) if name
        )
        return person_name(first_names, self.last_name)

    @property
    def is_partial(self) -> bool:
        return self.kind == CertificateKind.PARTIAL

    @property
    def person_identity(self) -> dict[str, Any]:
        """The holder's identity as a national `Person` is created with."""
        return {
            "last_name": self.last_name,
            "usage_name": self.usage_name,
            "first_name": self.first_name,
            "first_name_2": self.first_name_2,
            "first_name_3": self.first_name_3,
            "birth_date": self.birth_date,
            "birth_place": self.birth_place,
            "birth_insee_code": self.birth_insee_code,
            "birth_country_code": self.birth_country_code,
            "birth_country_label": self.birth_country_label,
        }

    def identity(self) -> NormalisedIdentity:
        return identity_of(self)
