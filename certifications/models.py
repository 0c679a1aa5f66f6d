"""Référentiels of the CQPI and the certificates they lead to."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from core.undeletable import UndeletableModel, UndeletableQuerySet


class ReferentielStatus(models.TextChoices):
    DRAFT = "draft", _("En création")
    VALIDATED = "validated", _("Validé")
    WITHDRAWN = "withdrawn", _("Retiré")


class Referentiel(models.Model):
    """One CQPI: its identity, what it certifies; its content lives in versions."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("intitulé"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    level = models.CharField(_("niveau"), max_length=20, blank=True)
    eqf_level = models.CharField(_("niveau CEC"), max_length=10, blank=True)
    nsf_codes = models.CharField(_("codes NSF"), max_length=100, blank=True)
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=ReferentielStatus.choices,
        default=ReferentielStatus.DRAFT,
    )
    validated_on = models.DateField(_("validé le"), null=True, blank=True)
    illustrative = models.BooleanField(
        _("contenu illustratif"),
        default=False,
        help_text=_("Blocs et capacités de démonstration, non officiels."),
    )

    class Meta:
        verbose_name = _("CQPI")
        verbose_name_plural = _("CQPI")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class RegistrationKind(models.TextChoices):
    RNCP = "rncp", _("RNCP")
    RS = "rs", _("Répertoire spécifique")


class Registration(models.Model):
    """A registration at France Compétences (RNCP or RS): at most five years."""

    referentiel = models.ForeignKey(
        Referentiel, on_delete=models.CASCADE, related_name="registrations"
    )
    kind = models.CharField(_("répertoire"), max_length=10, choices=RegistrationKind.choices)
    code = models.CharField(_("code"), max_length=20, unique=True)
    decision_date = models.DateField(_("date de la décision d'enregistrement"))
    valid_until = models.DateField(_("fin d'enregistrement"))

    class Meta:
        verbose_name = _("enregistrement")
        verbose_name_plural = _("enregistrements")
        ordering = ["-decision_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("decision_date")),
                name="registration_period_is_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.code


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    IN_FORCE = "in_force", _("En vigueur")
    RETIRED = "retired", _("Remplacée")


class ReferentielVersionQuerySet(models.QuerySet["ReferentielVersion"]):
    def in_force(self) -> ReferentielVersionQuerySet:
        return self.filter(status=VersionStatus.IN_FORCE)


class ReferentielVersion(models.Model):
    """The content of a CQPI at a point in time; a dossier stays bound to the one it opened under."""

    referentiel = models.ForeignKey(Referentiel, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    effective_from = models.DateField(_("en vigueur depuis"))
    status = models.CharField(
        _("statut"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = ReferentielVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("version de référentiel")
        verbose_name_plural = _("versions de référentiel")
        ordering = ["referentiel__title", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["referentiel", "number"], name="unique_version_number"),
            models.UniqueConstraint(
                fields=["referentiel"],
                condition=Q(status="in_force"),
                name="one_version_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referentiel.title} — v{self.number}"


class Bloc(models.Model):
    """A bloc de compétences: an independently certifiable part of a version."""

    version = models.ForeignKey(ReferentielVersion, on_delete=models.CASCADE, related_name="blocs")
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("intitulé"), max_length=250)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("bloc de compétences")
        verbose_name_plural = _("blocs de compétences")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_bloc_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Capacity(models.Model):
    """A capacité: something the candidate must be able to do, assessed by indicators."""

    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, related_name="capacities")
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("intitulé"), max_length=300)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("capacité")
        verbose_name_plural = _("capacités")
        ordering = ["bloc__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["bloc", "code"], name="unique_capacity_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Indicator(models.Model):
    """An indicateur d'évaluation, marked from 0 to `max_mark`; reached at `threshold`."""

    capacity = models.ForeignKey(Capacity, on_delete=models.CASCADE, related_name="indicators")
    label = models.CharField(_("indicateur"), max_length=300)
    threshold = models.PositiveSmallIntegerField(_("seuil"), default=3)
    max_mark = models.PositiveSmallIntegerField(_("note maximale"), default=4)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("indicateur d'évaluation")
        verbose_name_plural = _("indicateurs d'évaluation")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__lte=models.F("max_mark")), name="threshold_within_scale"
            )
        ]

    def __str__(self) -> str:
        return self.label


class Adoption(models.Model):
    """A branch adopts a CQPI through an accord; a CQPI needs two adopting branches to be validated."""

    referentiel = models.ForeignKey(Referentiel, on_delete=models.PROTECT, related_name="adoptions")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="adoptions")
    accord_date = models.DateField(_("date de l'accord"))

    class Meta:
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        constraints = [
            models.UniqueConstraint(
                fields=["referentiel", "branch"], name="one_adoption_per_branch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch} — {self.referentiel}"


class CertificateKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Certificat")
    PARTIAL = "partial", _("Attestation de validation partielle")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valide")
    REVOKED = "revoked", _("Révoqué")
    SUPERSEDED = "superseded", _("Remplacé")


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("En cours de génération")
    READY = "ready", _("Prêt")
    FAILED = "failed", _("Échec de génération")


def _verification_code() -> str:
    return secrets.token_urlsafe(16)


class CertificateQuerySet(UndeletableQuerySet):
    def visible_to(self, user: Any) -> CertificateQuerySet:
        from branches.access import roles_of

        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.is_authenticated:
            return self.none()
        return self.filter(
            Q(branch_id__in=roles.staff_branch_ids) | Q(dossier__candidate__user_id=roles.user_id)
        )

    def pending_render(self) -> CertificateQuerySet:
        return self.filter(render_status=RenderStatus.PENDING)

    def not_completed(self) -> CertificateQuerySet:
        """Leaves out the partial validations that were completed, which no longer lapse in
        any sense that matters to their holder (no expiry alert, no dashboard line):

        - their capacities were credited into a dossier that ended in a full award (a valid
          certificate of that dossier), whatever its CQPI (through an equivalence too);
        - or the same person holds a valid certificate of the same CQPI issued since, on
          another path (a new dossier without crediting, in another branch of theirs).

        A revoked certificate completes nothing. Two EXISTS subqueries: no join that could
        repeat a row."""
        full = Certificate.objects.filter(
            kind=CertificateKind.CERTIFICATE, status=CertificateStatus.VALID
        )
        credited_into_an_award = Exists(
            full.filter(dossier__credited_capacities__certificate_id=OuterRef("pk"))
        )
        awarded_since = Exists(
            full.filter(
                dossier__candidate__person_id=OuterRef("dossier__candidate__person_id"),
                version__referentiel_id=OuterRef("version__referentiel_id"),
                issued_on__gte=OuterRef("issued_on"),
            )
        )
        return self.exclude(credited_into_an_award).exclude(awarded_since)


class Certificate(UndeletableModel):
    """A certificate or a partial-validation attestation, rendered from the snapshot taken at issue.

    Never deleted: revoked or superseded with a reason.
    """

    number = models.CharField(_("numéro"), max_length=40, unique=True)
    kind = models.CharField(_("nature"), max_length=20, choices=CertificateKind.choices)
    dossier = models.ForeignKey(
        "candidates.Dossier", on_delete=models.PROTECT, related_name="certificates"
    )
    decision = models.ForeignKey(
        "evaluations.Decision", on_delete=models.PROTECT, related_name="certificates"
    )
    reissue_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reissued_as",
        verbose_name=_("remplace"),
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="certificates")
    version = models.ForeignKey(
        ReferentielVersion, on_delete=models.PROTECT, related_name="certificates"
    )
    holder_name = models.CharField(_("titulaire"), max_length=250)
    issued_on = models.DateField(_("délivré le"))
    place_of_issue = models.CharField(_("lieu de délivrance"), max_length=120)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    snapshot = models.JSONField(_("contenu certifié"))
    verification_code = models.CharField(max_length=40, unique=True, default=_verification_code)
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revocation_reason = models.TextField(_("motif de révocation"), blank=True)
    render_status = models.CharField(
        _("génération du PDF"),
        max_length=20,
        choices=RenderStatus.choices,
        default=RenderStatus.PENDING,
    )
    render_error = models.TextField(blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    # The signed Open Badges 3.0 credential (credentials/, decision 0017), made with the PDF.
    credential = models.JSONField(_("attestation numérique"), default=dict, blank=True)
    # Its position in the branch's revocation status lists, given at issue.
    credential_status_index = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The compact JWS printed in the QR code, checkable offline with the branch's public key.
    qr_jws = models.TextField(blank=True, editable=False)
    reported_to_passport_at = models.DateTimeField(
        _("déclaré au Passeport de compétences le"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificat")
        verbose_name_plural = _("certificats")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision"],
                condition=Q(reissue_of__isnull=True),
                name="one_original_certificate_per_decision",
            )
        ]
        indexes = [
            models.Index(fields=["branch", "-issued_on"]),
            models.Index(fields=["render_status", "created_at"]),
            # "Vérifier un document" finds an uploaded PDF by the SHA-256 of its bytes.
            models.Index(
                fields=["pdf_sha256"], condition=~Q(pdf_sha256=""), name="certificate_pdf_sha256"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("certifications:verify", args=[self.verification_code])

    @property
    def verification_url(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def qr_text(self) -> str:
        """What the printed QR code holds: the verification URL, and once signed, the signed
        summary in its fragment (never sent to the server by a browser)."""
        if self.qr_jws:
            return f"{self.verification_url}#jws={self.qr_jws}"
        return self.verification_url

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID


class CertificateEvent(UndeletableModel):
    """What happened to a certificate: issued, rendered, revoked, reissued, reported."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement du certificat")
        verbose_name_plural = _("événements des certificats")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.certificate_id}: {self.action}"


class EquivalenceStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposée")
    APPROVED = "approved", _("Approuvée")
    SUPERSEDED = "superseded", _("Remplacée")


class Equivalence(UndeletableModel):
    """One row of the national equivalence table: whoever validated `source` (a capacity, or
    a whole bloc, of one CQPI version) holds `target` (of another CQPI or version).

    Maintained by national administrators: proposed, approved, then only ever superseded with
    a reason (by a corrected row, or by none); never edited nor deleted. A row credits
    capacities only while approved, so the table in force at any moment is its approved rows,
    and what it was is read from the rows' dates."""

    source_capacity = models.ForeignKey(
        Capacity, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_capacity = models.ForeignKey(
        Capacity, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_bloc = models.ForeignKey(
        Bloc, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_bloc = models.ForeignKey(
        Bloc, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=EquivalenceStatus.choices,
        default=EquivalenceStatus.PROPOSED,
    )
    comment = models.TextField(_("justification"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approuvée le"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("remplacée par"),
    )
    superseded_at = models.DateTimeField(_("remplacée le"), null=True, blank=True)
    supersede_reason = models.TextField(_("motif du remplacement"), blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("équivalence")
        verbose_name_plural = _("équivalences")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        source_capacity__isnull=False,
                        target_capacity__isnull=False,
                        source_bloc__isnull=True,
                        target_bloc__isnull=True,
                    )
                    | Q(
                        source_capacity__isnull=True,
                        target_capacity__isnull=True,
                        source_bloc__isnull=False,
                        target_bloc__isnull=False,
                    )
                ),
                name="equivalence_of_capacities_or_of_blocs",
            ),
            models.UniqueConstraint(
                fields=["source_capacity", "target_capacity"],
                condition=~Q(status="superseded"),
                name="one_current_capacity_equivalence",
            ),
            models.UniqueConstraint(
                fields=["source_bloc", "target_bloc"],
                condition=~Q(status="superseded"),
                name="one_current_bloc_equivalence",
            ),
        ]

    def __str__(self) -> str:
        source = self.source_capacity or self.source_bloc
        target = self.target_capacity or self.target_bloc
        return f"{source} ≡ {target}"

    @property
    def is_bloc(self) -> bool:
        return self.source_bloc_id is not None
