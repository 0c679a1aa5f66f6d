"""Branches (tenants), charter signatures, companies and the roles people hold in a branch."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from .validators import validate_siret


class QuorumRule(models.TextChoices):
    ONE_PER_COLLEGE = "one_per_college", _("Au moins un membre par collège")
    EQUAL = "equal", _("Nombre égal de membres dans chaque collège")
    MINIMUM_PER_COLLEGE = "minimum_per_college", _("Un minimum de membres par collège")


class MajorityRule(models.TextChoices):
    ABSOLUTE = "absolute", _("Majorité absolue des membres présents")
    CAST = "cast", _("Majorité des suffrages exprimés (abstentions non comptées)")


class College(models.TextChoices):
    EMPLOYERS = "employers", _("Collège employeurs")
    EMPLOYEES = "employees", _("Collège salariés")


class Role(models.TextChoices):
    STAFF = "staff", _("Personnel CPNE")
    JURY = "jury", _("Membre de jury")
    REFERENT = "referent", _("Référent entreprise")


class BranchQuerySet(models.QuerySet["Branch"]):
    def visible_to(self, user: settings.AUTH_USER_MODEL) -> BranchQuerySet:  # type: ignore[name-defined]
        from .access import roles_of

        roles = roles_of(user)
        if roles.sees_all_branches:
            return self
        return self.filter(pk__in=roles.member_branch_ids)


class Branch(models.Model):
    """A professional branch that signed the national CQPI charter: the tenant."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    prefix = models.CharField(
        _("préfixe de numérotation"),
        max_length=8,
        unique=True,
        help_text=_(
            "Court et en majuscules : il commence les numéros de dossier et de certificat."
        ),
    )
    name = models.CharField(_("nom"), max_length=200, unique=True)
    place_of_issue = models.CharField(_("lieu de délivrance"), max_length=120, default="Paris")
    certifier_name = models.CharField(
        _("organisme certificateur"),
        max_length=200,
        blank=True,
        help_text=_(
            "Tel qu'enregistré auprès de France compétences, par exemple « CPNEFP de la "
            "branche … » : il figure sur chaque certificat, attestation et procès-verbal."
        ),
    )
    signatory_name = models.CharField(_("signataire des certificats"), max_length=120, blank=True)
    signatory_title = models.CharField(_("qualité du signataire"), max_length=160, blank=True)
    signatory_image = models.ImageField(_("signature (image)"), upload_to="signatures/", blank=True)
    partial_validity_months = models.PositiveSmallIntegerField(
        _("validité des validations partielles (mois)"),
        null=True,
        blank=True,
        default=60,
        help_text=_("Vide : sans limite de durée."),
    )
    quorum_rule = models.CharField(
        _("règle de quorum du jury"),
        max_length=30,
        choices=QuorumRule.choices,
        default=QuorumRule.ONE_PER_COLLEGE,
    )
    quorum_minimum = models.PositiveSmallIntegerField(
        _("minimum de membres par collège"),
        default=1,
        help_text=_("Utilisé par la règle « un minimum de membres par collège »."),
    )
    majority_rule = models.CharField(
        _("majorité requise pour une décision du jury"),
        max_length=20,
        choices=MajorityRule.choices,
        default=MajorityRule.ABSOLUTE,
    )
    chair_casting_vote = models.BooleanField(
        _("voix prépondérante du président en cas de partage"), default=False
    )
    evidence_dossier_for_all_routes = models.BooleanField(
        _("dossier de preuves ouvert à tous les candidats"),
        default=False,
        help_text=_(
            "Les candidats en VAE construisent toujours leur dossier de preuves dans leur "
            "espace ; cochez pour l'ouvrir aussi aux candidats des autres voies d'accès."
        ),
    )
    # After this many days, the branch's staff are reminded of a dossier waiting on them, and a
    # candidate of a dossier of evidence they have not submitted (candidates.services).
    reminder_delay_days = models.PositiveSmallIntegerField(
        _("délai avant rappel (jours)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "Au-delà, le personnel de la branche reçoit un rappel des dossiers qui attendent "
            "son action, et le candidat un rappel de son dossier de preuves non transmis."
        ),
    )
    require_two_factor = models.BooleanField(
        _("double authentification obligatoire"), default=False
    )
    # The branch's contract with the Caisse des Dépôts for the declaration of its holders
    # to the Passeport de compétences (the `certificateur` of the flux, docs/cdc.md).
    cdc_client_id = models.CharField(
        _("identifiant client CDC (idClient)"),
        max_length=8,
        blank=True,
        validators=[MinLengthValidator(8)],
        help_text=_("8 caractères, attribués par la Caisse des Dépôts au certificateur."),
    )
    cdc_contract_id = models.CharField(
        _("numéro de contrat CDC (idContrat)"),
        max_length=20,
        blank=True,
        help_text=_("Au plus 20 caractères, le contrat de dépôt signé avec la Caisse des Dépôts."),
    )

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("branche")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CharterSignature(models.Model):
    """The branch's signature of the charte nationale paritaire des CQPI."""

    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="charter_signatures",
        verbose_name=_("branche"),
    )
    signed_on = models.DateField(_("date de signature"))
    approving_body = models.CharField(_("instance d'approbation"), max_length=200)

    class Meta:
        verbose_name = _("signature de la charte")
        verbose_name_plural = _("signatures de la charte")
        ordering = ["-signed_on"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "signed_on"], name="one_signature_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.branch} — {self.signed_on:%d/%m/%Y}"


# The codename of a référent's grant on their company (guardian, direct foreign-key table).
VIEW_COMPANY = "view_company"


class CompanyQuerySet(models.QuerySet["Company"]):
    def visible_to(self, user: settings.AUTH_USER_MODEL) -> CompanyQuerySet:  # type: ignore[name-defined]
        from .access import roles_of

        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if roles.user_id is None:
            return self.none()
        # Staff scope is the branch membership; a référent's is their grant on the company.
        return self.filter(
            Q(branch_id__in=roles.staff_branch_ids)
            | Q(
                Exists(
                    CompanyUserObjectPermission.objects.filter(
                        user_id=roles.user_id,
                        content_object_id=OuterRef("pk"),
                        permission__codename=VIEW_COMPANY,
                    )
                )
            )
        )


class Company(models.Model):
    """An employer of the branch; candidates are usually its employees."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="companies", verbose_name=_("branche")
    )
    name = models.CharField(_("raison sociale"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, unique=True, validators=[validate_siret])
    city = models.CharField(_("ville"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("entreprise")
        verbose_name_plural = _("entreprises")
        ordering = ["name"]
        indexes = [models.Index(fields=["branch", "name"])]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A role a person holds in a branch: CPNE staff, jury member (with collège), company référent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("personne"),
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("branche")
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    college = models.CharField(_("collège"), max_length=20, choices=College.choices, blank=True)
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referents",
        verbose_name=_("entreprise"),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rôle dans une branche")
        verbose_name_plural = _("rôles dans les branches")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.JURY) | ~Q(college=""),
                name="jury_member_has_college",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.REFERENT) | Q(company__isnull=False),
                name="referent_has_company",
            ),
            models.UniqueConstraint(
                fields=["user", "branch", "role"],
                condition=Q(company__isnull=True),
                name="one_role_per_branch",
            ),
            models.UniqueConstraint(
                fields=["user", "branch", "role", "company"],
                condition=Q(company__isnull=False),
                name="one_referent_role_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.branch}"


class EvaluatorHabilitation(models.Model):
    """A branch habilitates an evaluator for one CQPI, for a period; it may be suspended."""

    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="habilitations",
        verbose_name=_("évaluateur"),
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="habilitations", verbose_name=_("branche")
    )
    referentiel = models.ForeignKey(
        "certifications.Referentiel",
        on_delete=models.PROTECT,
        related_name="habilitations",
        verbose_name=_("CQPI"),
    )
    valid_from = models.DateField(_("valable du"))
    valid_until = models.DateField(_("valable jusqu'au"))
    # A suspension holds the habilitation without ending it (an inquiry, a complaint): the
    # evaluator is offered for nothing new until it is lifted. Its history is the audit trail.
    suspended_at = models.DateTimeField(_("suspendue le"), null=True, blank=True)
    suspension_reason = models.CharField(
        _("motif de la suspension"), max_length=300, blank=True, default=""
    )

    class Meta:
        verbose_name = _("habilitation d'évaluateur")
        verbose_name_plural = _("habilitations d'évaluateurs")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="habilitation_period_is_ordered",
            ),
            models.CheckConstraint(
                condition=Q(suspended_at__isnull=True, suspension_reason="")
                | (Q(suspended_at__isnull=False) & ~Q(suspension_reason="")),
                name="habilitation_suspension_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} — {self.referentiel_id} — {self.branch}"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class ConflictOfInterest(models.Model):
    """The evaluator trained this company for this CQPI: they may not evaluate there."""

    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conflicts_of_interest",
        verbose_name=_("évaluateur"),
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("entreprise")
    )
    referentiel = models.ForeignKey(
        "certifications.Referentiel", on_delete=models.CASCADE, verbose_name=_("CQPI")
    )
    reason = models.CharField(_("motif"), max_length=300)
    declared_on = models.DateField(_("déclaré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("conflit d'intérêts")
        verbose_name_plural = _("conflits d'intérêts")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluator", "company", "referentiel"], name="one_conflict_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} ≠ {self.company}"


class CompanyUserObjectPermission(UserObjectPermissionBase):
    """guardian grant with a direct foreign key: a référent's rights on their company."""

    content_object = models.ForeignKey(Company, on_delete=models.CASCADE)


class Counter(models.Model):
    """The last number handed out per branch, kind (dossier, certificate) and year.

    Numbers are allocated by locking this row (`branches.services.counter_next`), so a
    number is never given twice, even under concurrent decisions.
    """

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de numérotation")
        verbose_name_plural = _("compteurs de numérotation")
        constraints = [
            models.UniqueConstraint(fields=["branch", "kind", "year"], name="one_counter")
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.kind}/{self.year}: {self.last_value}"
