"""Evaluations, jury sessions, decisions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from branches.access import roles_of
from branches.models import Branch, College
from candidates.models import Dossier
from certifications.models import Capacity, Indicator
from core.undeletable import UndeletableModel, UndeletableQuerySet

# The codenames of the per-object grants (guardian, direct foreign-key tables below).
SCORE_EVALUATION = "score_evaluation"
SIT_ON_SESSION = "sit_on_session"


class EvaluationKind(models.TextChoices):
    POSITIONING = "positioning", _("Positionnement")
    FINAL = "final", _("Évaluation finale")


class EvaluationStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("En cours")
    SUBMITTED = "submitted", _("Terminée")


class EvaluationQuerySet(models.QuerySet["Evaluation"]):
    def visible_to(self, user: Any) -> EvaluationQuerySet:
        """The evaluations of the dossiers a user sees as staff, candidate or jury member, and
        those they hold a grant on (as evaluator or référent): a grant on another evaluation
        of the same dossier opens this one no more than a revoked grant does."""
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if roles.user_id is None:
            return self.none()
        seen = Q(dossier__in=Dossier.objects.visible_to(user, through_grants=False))
        if roles.is_evaluator or roles.is_referent:
            seen |= Q(
                Exists(
                    EvaluationUserObjectPermission.objects.filter(
                        user_id=roles.user_id,
                        content_object_id=OuterRef("pk"),
                        permission__codename=SCORE_EVALUATION,
                    )
                )
            )
        return self.filter(seen)


class Evaluation(models.Model):
    """An evaluation of a dossier by one evaluator or a binôme; each scores on their own sheet."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="evaluations")
    kind = models.CharField(_("type"), max_length=20, choices=EvaluationKind.choices)
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.IN_PROGRESS,
    )
    due_date = models.DateField(_("à réaliser avant le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")
        ordering = ["-created_at"]
        permissions = [(SCORE_EVALUATION, _("Peut noter cette évaluation"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.dossier}"


class SheetRole(models.TextChoices):
    EXTERNAL = "external", _("Évaluateur externe habilité")
    REFERENT = "referent", _("Référent entreprise")


class SheetStatus(models.TextChoices):
    DRAFT = "draft", _("En cours de saisie")
    SUBMITTED = "submitted", _("Transmise")


class EvaluationSheetQuerySet(models.QuerySet["EvaluationSheet"]):
    def of_evaluator(self, user: Any) -> EvaluationSheetQuerySet:
        """The user's own grids, while they hold the grant on the grid's evaluation."""
        roles = roles_of(user)
        if roles.user_id is None:
            return self.none()
        return self.filter(
            Exists(
                EvaluationUserObjectPermission.objects.filter(
                    user_id=roles.user_id,
                    content_object_id=OuterRef("evaluation_id"),
                    permission__codename=SCORE_EVALUATION,
                )
            ),
            evaluator_id=roles.user_id,
        )


class EvaluationSheet(models.Model):
    """One evaluator's scoring grid for an evaluation; `version` guards against silent overwrites."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="sheets")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluation_sheets"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=SheetRole.choices)
    status = models.CharField(
        _("statut"), max_length=20, choices=SheetStatus.choices, default=SheetStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = EvaluationSheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("grille d'évaluation")
        verbose_name_plural = _("grilles d'évaluation")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "evaluator"], name="one_sheet_per_evaluator"
            ),
            models.UniqueConstraint(fields=["evaluation", "role"], name="one_sheet_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} — {self.evaluator}"

    def get_absolute_url(self) -> str:
        return reverse("evaluations:sheet", args=[self.pk])


class CapacityOutcome(models.TextChoices):
    ACQUIRED = "acquired", _("Acquis")
    NOT_ACQUIRED = "not_acquired", _("Non acquis")
    NOT_ASSESSED = "not_assessed", _("Non évalué")


class CapacityResult(models.Model):
    sheet = models.ForeignKey(EvaluationSheet, on_delete=models.CASCADE, related_name="results")
    capacity = models.ForeignKey(Capacity, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(
        _("résultat"),
        max_length=20,
        choices=CapacityOutcome.choices,
        default=CapacityOutcome.NOT_ASSESSED,
    )
    comment = models.TextField(_("commentaire"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("résultat par capacité")
        verbose_name_plural = _("résultats par capacité")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "capacity"], name="one_result_per_capacity")
        ]

    def __str__(self) -> str:
        return f"{self.capacity_id}: {self.outcome}"


class IndicatorMark(models.Model):
    result = models.ForeignKey(CapacityResult, on_delete=models.CASCADE, related_name="marks")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    mark = models.PositiveSmallIntegerField(_("note"))

    class Meta:
        verbose_name = _("note d'indicateur")
        verbose_name_plural = _("notes d'indicateurs")
        constraints = [
            models.UniqueConstraint(fields=["result", "indicator"], name="one_mark_per_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.mark}"


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planifiée")
    OPEN = "open", _("Ouverte")
    CLOSED = "closed", _("Clôturée")


class JurySessionQuerySet(models.QuerySet["JurySession"]):
    def visible_to(self, user: Any) -> JurySessionQuerySet:
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if roles.user_id is None:
            return self.none()
        # Staff scope is the branch membership; a jury member's is their grant on the session.
        return self.filter(
            Q(branch_id__in=roles.staff_branch_ids)
            | Q(
                Exists(
                    JurySessionUserObjectPermission.objects.filter(
                        user_id=roles.user_id,
                        content_object_id=OuterRef("pk"),
                        permission__codename=SIT_ON_SESSION,
                    )
                )
            )
        )


class JurySession(models.Model):
    """A jury paritaire sitting: members of both collèges decide on the dossiers of its agenda."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="jury_sessions")
    held_on = models.DateTimeField(_("date et heure"))
    place = models.CharField(_("lieu"), max_length=200)
    status = models.CharField(
        _("statut"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    minutes = models.FileField(_("procès-verbal"), upload_to="minutes/%Y/", blank=True)
    # The SHA-256 of the sealed procès-verbal as stored (found again by "Vérifier un document"),
    # and why its last render failed, for the staff, until one succeeds.
    minutes_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    minutes_render_error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = JurySessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session de jury")
        verbose_name_plural = _("sessions de jury")
        ordering = ["-held_on"]
        permissions = [(SIT_ON_SESSION, _("Siège dans cette session de jury"))]

    def __str__(self) -> str:
        return f"{self.branch} — {self.held_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("evaluations:session_detail", args=[self.pk])


class MemberRole(models.TextChoices):
    MEMBER = "member", _("Membre")
    CHAIR = "chair", _("Président")
    VICE_CHAIR = "vice_chair", _("Vice-président")


class JuryMember(models.Model):
    """A person convoked to a session, for one collège; `present` is recorded at opening."""

    session = models.ForeignKey(JurySession, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jury_seats"
    )
    college = models.CharField(_("collège"), max_length=20, choices=College.choices)
    role = models.CharField(
        _("fonction"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    present = models.BooleanField(_("présent"), default=True)

    class Meta:
        verbose_name = _("membre du jury")
        verbose_name_plural = _("membres du jury")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_seat_per_person"),
            models.UniqueConstraint(
                fields=["session", "role"],
                condition=~Q(role="member"),
                name="one_chair_and_one_vice_chair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_college_display()})"


class AgendaItem(models.Model):
    session = models.ForeignKey(JurySession, on_delete=models.CASCADE, related_name="agenda")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("point de l'ordre du jour")
        verbose_name_plural = _("ordre du jour")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "dossier"], name="dossier_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} #{self.position}: {self.dossier_id}"


class Outcome(models.TextChoices):
    AWARD = "award", _("Délivrance totale")
    PARTIAL = "partial", _("Validation partielle")
    REFUSAL = "refusal", _("Refus")


class DecisionStatus(models.TextChoices):
    ACTIVE = "active", _("En vigueur")
    SUPERSEDED = "superseded", _("Remplacée")


class Decision(UndeletableModel):
    """The jury's decision on a dossier, capacity by capacity. Never deleted: superseded."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="decisions")
    session = models.ForeignKey(JurySession, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("décision"), max_length=20, choices=Outcome.choices)
    reasons = models.TextField(_("motivation"), blank=True)
    status = models.CharField(
        max_length=20, choices=DecisionStatus.choices, default=DecisionStatus.ACTIVE
    )
    decided_at = models.DateTimeField(_("décidé le"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("décision du jury")
        verbose_name_plural = _("décisions du jury")
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(status="active"),
                name="one_active_decision_per_dossier",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier} — {self.get_outcome_display()}"


class DecisionCapacity(UndeletableModel):
    """The jury's word on one capacity; `overridden` when it departs from the evaluation."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="capacities")
    capacity = models.ForeignKey(Capacity, on_delete=models.PROTECT, related_name="+")
    validated = models.BooleanField(_("validée"))
    overridden = models.BooleanField(_("réexaminée par le jury"), default=False)
    reason = models.TextField(_("motif"), blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("décision par capacité")
        verbose_name_plural = _("décisions par capacité")
        constraints = [
            models.UniqueConstraint(fields=["decision", "capacity"], name="one_word_per_capacity")
        ]

    def __str__(self) -> str:
        return f"{self.capacity_id}: {self.validated}"


class EvaluationUserObjectPermission(UserObjectPermissionBase):
    """guardian grant with a direct foreign key: an evaluator's right to score an evaluation.

    The per-object truth of who sees an evaluation, its grid, its dossier and its evidence as
    evaluator or référent: written and revoked only by evaluations.services."""

    content_object = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="grants")


class JurySessionUserObjectPermission(UserObjectPermissionBase):
    """guardian grant with a direct foreign key: a jury member's seat in a session.

    The per-object truth of who sees a session and its agenda as jury member: written and
    revoked only by evaluations.services."""

    content_object = models.ForeignKey(JurySession, on_delete=models.CASCADE, related_name="grants")
