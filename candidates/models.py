"""Candidates, dossiers and their history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from branches.access import roles_of
from branches.models import Branch, Company
from certifications.models import ReferentielVersion
from core.identity import NormalisedIdentity, identity_of
from core.text import person_name
from core.undeletable import UndeletableModel, UndeletableQuerySet


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: Any) -> PersonQuerySet:
        """National administrators see every person; CPNE staff the persons their branches'
        candidates point to; a candidate the person of their own profiles. Nobody browses
        another branch's people."""
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.is_authenticated:
            return self.none()
        return self.filter(
            pk__in=Candidate.objects.filter(
                Q(branch_id__in=roles.staff_branch_ids) | Q(user_id=roles.user_id)
            ).values("person_id")
        )

    def current(self) -> PersonQuerySet:
        """The persons not merged into another."""
        return self.filter(merged_into__isnull=True)


class Person(models.Model):
    """The national holder record: one human being, whatever the branches and dossiers.

    Each branch's `Candidate` points to one; a person with candidates in two branches was
    linked by staff who found the exact identity match, with the person's consent recorded
    (`PersonEvent`). A duplicate is merged into another by a national administrator: the
    absorbed row stays, pointing at the one kept (`merged_into`), with its history.
    """

    last_name = models.CharField(_("nom de naissance"), max_length=120)
    usage_name = models.CharField(_("nom d'usage"), max_length=60, blank=True)
    first_name = models.CharField(_("premier prénom"), max_length=120)
    first_name_2 = models.CharField(_("deuxième prénom"), max_length=60, blank=True)
    first_name_3 = models.CharField(_("troisième prénom"), max_length=60, blank=True)
    birth_date = models.DateField(_("date de naissance"))
    birth_place = models.CharField(_("lieu de naissance"), max_length=120)
    birth_insee_code = models.CharField(
        _("code INSEE de la commune de naissance"), max_length=5, blank=True
    )
    birth_country_code = models.CharField(_("code du pays de naissance"), max_length=3, blank=True)
    birth_country_label = models.CharField(_("pays de naissance"), max_length=60, blank=True)
    email = models.EmailField(_("adresse e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    # `core.identity.NormalisedIdentity.key`: names normalised and birth date, indexed.
    identity_key = models.CharField(max_length=300, db_index=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="absorbed",
        verbose_name=_("fusionnée dans"),
    )
    merged_at = models.DateTimeField(_("fusionnée le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["last_name", "first_name", "pk"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name.upper()} ({self.birth_date:%d/%m/%Y})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.identity_key = self.identity().key
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "identity_key"}
        super().save(*args, **kwargs)

    @property
    def national_number(self) -> str:
        return f"P-{self.pk:07d}"

    def identity(self) -> NormalisedIdentity:
        return identity_of(self)


class PersonAction(models.TextChoices):
    CREATED = "created", _("Personne créée")
    LINKED = "linked", _("Candidat rattaché")
    MERGED_AWAY = "merged_away", _("Fusionnée dans une autre personne")
    ABSORBED = "absorbed", _("A absorbé une autre personne")
    IDENTITY_CORRECTED = "identity_corrected", _("Identité corrigée")
    IDENTITY_DIFFERS = "identity_differs", _("Identité corrigée par une branche, non reportée")
    # The holder claimed a certificate issued before the platform (their own act: consent).
    CLAIMED = "claimed", _("Certificat antérieur revendiqué par le titulaire")


class PersonEvent(UndeletableModel):
    """What happened to a person: created with a candidate, a candidate linked with the
    person's consent (who recorded it, when), merged, its identity corrected through its only
    candidate, or a correction by one branch of a shared person left for review (the comment
    names the fields). Never deleted."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=PersonAction.choices)
    candidate = models.ForeignKey(
        "Candidate", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    other_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    # For a link: when the person's consent was given, as the staff member records it.
    consent_at = models.DateTimeField(_("consentement recueilli le"), null=True, blank=True)
    comment = models.TextField(blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement de la personne")
        verbose_name_plural = _("événements des personnes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.action}"


class CandidateQuerySet(models.QuerySet["Candidate"]):
    def visible_to(self, user: Any) -> CandidateQuerySet:
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.is_authenticated:
            return self.none()
        return self.filter(
            Q(branch_id__in=roles.staff_branch_ids)
            | Q(user_id=roles.user_id)
            | Q(pk__in=Dossier.objects.visible_to(user).values("candidate_id"))
        )


class Sex(models.TextChoices):
    MALE = "M", _("Masculin")
    FEMALE = "F", _("Féminin")


class Candidate(models.Model):
    """A person seeking a CQPI, registered by a branch; may have an account to follow their dossiers.

    `last_name` is the birth name and `first_name` the first of the first names, as on the
    civil status; the other identity fields are those of the CDC declaration
    (`candidates/identity.py`), empty on the candidates registered before them ("à compléter").
    """

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="candidates", verbose_name=_("branche")
    )
    last_name = models.CharField(_("nom"), max_length=120)
    first_name = models.CharField(_("prénom"), max_length=120)
    birth_date = models.DateField(_("date de naissance"))
    birth_place = models.CharField(_("lieu de naissance"), max_length=120)
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
    email = models.EmailField(_("adresse e-mail"), blank=True)
    # The national holder record. Every candidate the services register has one; only the
    # national load generator (bulk COPY for benchmarks) leaves it empty.
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="candidates",
        verbose_name=_("personne"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="candidate_profiles",
        verbose_name=_("compte"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = _("candidat")
        verbose_name_plural = _("candidats")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "last_name", "first_name", "birth_date"],
                name="one_candidate_per_identity_and_branch",
            )
        ]
        indexes = [models.Index(fields=["branch", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return self.format_full_name(self.first_name, self.last_name)

    @staticmethod
    def format_full_name(first_name: str, last_name: str) -> str:
        return person_name(first_name, last_name)

    @property
    def space_open(self) -> bool:
        """Whether the candidate can enter their space: an active account whose password they
        set (through the invitation's link). Emails link to the space only then."""
        user = self.user if self.user_id else None
        return bool(user and user.is_active and user.has_usable_password())

    def identity(self) -> NormalisedIdentity:
        return identity_of(self)


class AccessRoute(models.TextChoices):
    VAE = "vae", _("VAE (validation des acquis de l'expérience)")
    PROFESSIONALISATION = "professionalisation", _("Contrat de professionnalisation")
    CONTINUING = "continuing", _("Formation continue")
    PRO_A = "pro_a", _("Pro-A / période de reconversion")
    DIRECT = "direct", _("Évaluation directe d'un salarié expérimenté")


class DossierStatus(models.TextChoices):
    OPEN = "open", _("Ouvert")
    ADMISSIBLE = "admissible", _("Recevable")
    INADMISSIBLE = "inadmissible", _("Non recevable")
    POSITIONING = "positioning", _("Positionnement")
    EVALUATION = "evaluation", _("Évaluation")
    READY_FOR_JURY = "ready_for_jury", _("Prêt pour le jury")
    SCHEDULED = "scheduled", _("Inscrit à un jury")
    AWARDED = "awarded", _("Certifié")
    PARTIALLY_AWARDED = "partially_awarded", _("Validation partielle")
    REFUSED = "refused", _("Refusé")
    WITHDRAWN = "withdrawn", _("Abandonné")


# The codenames of the evaluations room's grants (evaluations.models.SCORE_EVALUATION and
# SIT_ON_SESSION), spelt here as that room sits above this one.
GRANT_SCORE_EVALUATION = "score_evaluation"
GRANT_SIT_ON_SESSION = "sit_on_session"


def _related(model: Any, *path: str) -> Any:
    """The model at the end of a chain of relations declared onto `model` by higher rooms."""
    for name in path:
        model = model._meta.get_field(name).related_model
    return model


def _evaluation_grants(user_id: int | None) -> QuerySet[Any]:
    """The user's grants on an evaluation of the outer dossier (evaluator or référent)."""
    grant = _related(Dossier, "evaluations", "grants")
    return grant._default_manager.filter(
        user_id=user_id,
        content_object__dossier_id=OuterRef("pk"),
        permission__codename=GRANT_SCORE_EVALUATION,
    )


def _session_grants(user_id: int | None) -> QuerySet[Any]:
    """The user's grants on a session with the outer dossier on its agenda (jury member),
    from the convocation until the session's procès-verbal is signed and sealed."""
    agenda_item = _related(Dossier, "agenda_items")
    return agenda_item._default_manager.filter(
        dossier_id=OuterRef("pk"),
        session__minutes_signed_at__isnull=True,
        session__grants__user_id=user_id,
        session__grants__permission__codename=GRANT_SIT_ON_SESSION,
    )


class DossierQuerySet(models.QuerySet["Dossier"]):
    def visible_to(self, user: Any, *, through_grants: bool = True) -> DossierQuerySet:
        """The dossiers a user may see: the one tenant filter for dossiers.

        CPNE staff see their branch's (membership); a candidate their own; an evaluator or a
        company référent the dossiers of the evaluations they hold a grant on, a jury member
        those on the agenda of the sessions they hold a grant on (django-guardian's direct
        foreign-key tables, each read as one EXISTS, so a list stays one query). A revoked
        grant closes the dossier. `through_grants=False` leaves the grants out (the
        evaluations read their own grant per evaluation)."""
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.is_authenticated:
            return self.none()
        condition = Q(branch_id__in=roles.staff_branch_ids)
        if roles.is_candidate:
            # Only for whom has a candidate profile, and as a subquery rather than a join:
            # an OR across the join keeps PostgreSQL from walking an index of the dossiers
            # (the API's list, newest first, read every dossier of the branch).
            condition |= Q(
                candidate_id__in=Candidate.objects.filter(Q(user_id=roles.user_id)).values("pk")
            )
        # The evaluations room sits above this one: its evaluations, agendas and their grants
        # are reached through the relations it declares onto dossiers, never by importing it.
        if through_grants and (roles.is_evaluator or roles.is_referent):
            condition |= Q(Exists(_evaluation_grants(roles.user_id)))
        if roles.is_jury_member:
            condition |= Q(Exists(_session_grants(roles.user_id)))
        return self.filter(condition)

    def managed_by(self, user: Any) -> DossierQuerySet:
        """The dossiers a user runs as CPNE staff (or as national administrator)."""
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        return self.filter(branch_id__in=roles.staff_branch_ids)

    def list_values(self) -> QuerySet[Dossier, Any]:
        """The dossier list's cells as dictionaries, joined in the query: fifty rows with
        their candidate, CQPI, company and branch as model instances cost more to build
        than the page's SQL."""
        return self.values(
            "pk",
            "reference",
            "status",
            "opened_on",
            "candidate__first_name",
            "candidate__last_name",
            "version__number",
            "version__referentiel__title",
            "company__name",
            "branch__name",
        )

    def with_list_relations(self) -> DossierQuerySet:
        return self.select_related(
            "candidate", "company", "branch", "version", "version__referentiel"
        )


class Dossier(models.Model):
    """A candidate's path towards one CQPI, bound to the référentiel version it opened under."""

    reference = models.CharField(_("numéro de dossier"), max_length=40, unique=True)
    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("candidat")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("branche")
    )
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
        verbose_name=_("entreprise"),
    )
    version = models.ForeignKey(
        ReferentielVersion,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("référentiel"),
    )
    access_route = models.CharField(_("voie d'accès"), max_length=30, choices=AccessRoute.choices)
    first_certification = models.BooleanField(_("première certification"), default=False)
    status = models.CharField(
        _("statut"), max_length=30, choices=DossierStatus.choices, default=DossierStatus.OPEN
    )
    opened_on = models.DateField(_("ouvert le"))
    status_changed_at = models.DateTimeField(_("dernier changement"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-opened_on", "-pk"]
        indexes = [
            # The staff list: a branch's dossiers newest first, filtered by status or not.
            models.Index(fields=["branch", "-opened_on", "-id"]),
            models.Index(fields=["branch", "status", "-opened_on", "-id"]),
            # The list filtered by CQPI (with or without a status): its count, index-only.
            models.Index(
                fields=["branch", "version", "status"], name="candidates_dossier_branch_cqpi"
            ),
            # The API's list, newest id first (cursor pagination) within the user's branch.
            models.Index(fields=["branch", "id"], name="candidates_dossier_branch_pk"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("candidates:dossier_detail", args=[self.pk])

    @property
    def referentiel(self) -> Any:
        return self.version.referentiel

    @property
    def is_terminal(self) -> bool:
        from .workflow import TERMINAL_STATUSES  # the table reads this module

        return self.status in TERMINAL_STATUSES


class DossierHistory(UndeletableModel):
    """One transition of a dossier: who, when, from, to, why."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=30, choices=DossierStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=DossierStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("historique du dossier")
        verbose_name_plural = _("historiques des dossiers")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.from_status or '—'} → {self.to_status}"


def _evidence_path(instance: EvidenceFile, filename: str) -> str:
    # The stored name is generated by the server; the user's name is kept as metadata only.
    import uuid

    return f"evidence/{instance.dossier_id}/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    """A document of the dossier (VAE evidence, livret): served only through a checked view."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="evidence")
    capacity = models.ForeignKey(
        "certifications.Capacity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("capacité"),
        help_text=_("La capacité que la pièce illustre, si elle est jointe à une grille."),
    )
    file = models.FileField(upload_to=_evidence_path)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pièce du dossier")
        verbose_name_plural = _("pièces du dossier")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class EvidenceDossierStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Transmis")
    RETURNED = "returned", _("Renvoyé pour compléments")


class EvidenceDossier(models.Model):
    """The VAE candidate's dossier of evidence: their own account of their activities,
    capacity by capacity, written in their space and submitted for recevabilité.

    Created with the first description; staff may return it with a comment, which unlocks
    it for the candidate again."""

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, related_name="evidence_dossier"
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=EvidenceDossierStatus.choices,
        default=EvidenceDossierStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(_("transmis le"), null=True, blank=True)
    returned_at = models.DateTimeField(_("renvoyé le"), null=True, blank=True)
    return_comment = models.TextField(_("commentaire de renvoi"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dossier de preuves")
        verbose_name_plural = _("dossiers de preuves")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.status}"

    @property
    def editable(self) -> bool:
        return self.status != EvidenceDossierStatus.SUBMITTED


# The longest description of one capacity: a few pages, not a book.
STATEMENT_MAX_LENGTH = 10000


class EvidenceStatement(models.Model):
    """The candidate's description of the activities that show one capacity (plain text)."""

    evidence_dossier = models.ForeignKey(
        EvidenceDossier, on_delete=models.CASCADE, related_name="statements"
    )
    capacity = models.ForeignKey(
        "certifications.Capacity",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("capacité"),
    )
    text = models.TextField(_("description des activités"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("description des activités")
        verbose_name_plural = _("descriptions des activités")
        constraints = [
            models.UniqueConstraint(
                fields=["evidence_dossier", "capacity"], name="one_statement_per_capacity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evidence_dossier_id}/{self.capacity_id}"


class CreditSource(models.TextChoices):
    LEDGER = "ledger", _("Acquis de la personne")
    RECOGNITION = "recognition", _("Reconnaissance entre branches")


class CreditedCapacity(UndeletableModel):
    """A capacity of the dossier's référentiel the candidate already holds, credited from an
    issued document (a still-valid partial validation, or a certificate of another CQPI or
    version through the equivalence table): evaluators do not evaluate it; the jury sees it
    and decides on the whole; the final certificate names the document.

    The provenance is copied from the document's snapshot, so that the dossier's branch reads
    it without any access to the branch or the dossier that issued it."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="credited_capacities"
    )
    capacity = models.ForeignKey(
        "certifications.Capacity", on_delete=models.PROTECT, related_name="+"
    )
    certificate = models.ForeignKey(
        "certifications.Certificate", on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("origine"), max_length=20, choices=CreditSource.choices)
    source_code = models.CharField(_("capacité ou bloc du document"), max_length=20)
    equivalence = models.ForeignKey(
        "certifications.Equivalence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    document_number = models.CharField(_("numéro du document"), max_length=40)
    document_kind = models.CharField(_("nature du document"), max_length=20)
    document_issued_on = models.DateField(_("document délivré le"))
    document_branch = models.CharField(_("branche du document"), max_length=200)
    document_cqpi = models.CharField(_("CQPI du document"), max_length=250)
    document_valid_until = models.DateField(_("document valable jusqu'au"), null=True, blank=True)
    credited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    credited_at = models.DateTimeField(auto_now_add=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("capacité créditée")
        verbose_name_plural = _("capacités créditées")
        ordering = ["capacity__bloc__order", "capacity__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "capacity"], name="one_credit_per_capacity")
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}/{self.capacity_id} ← {self.document_number}"
