"""Evaluations, jury sessions, decisions."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
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


class ConvocationAnswer(models.TextChoices):
    PENDING = "pending", _("Sans réponse")
    ACCEPTED = "accepted", _("Présence confirmée")
    DECLINED = "declined", _("Absence annoncée")


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
    # The appointment staff set when assigning, sent to the evaluators with an invitation.
    appointment_at = models.DateTimeField(_("rendez-vous le"), null=True, blank=True)
    appointment_place = models.CharField(
        _("lieu du rendez-vous"), max_length=200, blank=True, default=""
    )
    # A CharField with the URL check, not a URLField: its form field would guess a scheme.
    appointment_link = models.CharField(
        _("lien de visioconférence"),
        max_length=500,
        blank=True,
        default="",
        validators=[URLValidator(schemes=["https", "http"])],
    )
    # The SEQUENCE of the appointment's invitations last sent (raised at each change), and the
    # candidate's answer to their convocation (the evaluators are assigned, not invited).
    appointment_sequence = models.PositiveIntegerField(default=0)
    candidate_answer = models.CharField(
        _("réponse du candidat"),
        max_length=20,
        choices=ConvocationAnswer.choices,
        default=ConvocationAnswer.PENDING,
    )
    candidate_answered_at = models.DateTimeField(
        _("le candidat a répondu le"), null=True, blank=True
    )
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


def candidate_appointment_uid(evaluation_id: int) -> str:
    """The iCalendar UID of an evaluation appointment in the candidate's calendar."""
    return f"evaluation-{evaluation_id}-candidate@cqpi"


def appointment_uid(sheet_id: int, user_id: int) -> str:
    """The iCalendar UID of an evaluation appointment in one person's calendar: a grid handed
    on cancels the event of the person replaced and invites the newcomer under their own."""
    return f"evaluation-sheet-{sheet_id}-{user_id}@cqpi"


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
    # When the last required signature (chair, vice-chair if convoked) was put on the
    # procès-verbal: from then on the session's decisions no longer change.
    minutes_signed_at = models.DateTimeField(null=True, blank=True)
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
    """A person convoked to a session, for one collège; `present` is recorded at the roll call
    and changes when a member leaves the sitting (`left_at`); an absent member may be excused.

    The convocation itself: the member's answer to it, the SEQUENCE of the calendar invitation
    last sent (raised at each update), and when each reminder went out (sent once each)."""

    session = models.ForeignKey(JurySession, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jury_seats"
    )
    college = models.CharField(_("collège"), max_length=20, choices=College.choices)
    role = models.CharField(
        _("fonction"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    present = models.BooleanField(_("présent"), default=True)
    excused = models.BooleanField(_("excusé"), default=False)
    left_at = models.DateTimeField(_("a quitté la séance à"), null=True, blank=True)
    answer = models.CharField(
        _("réponse à la convocation"),
        max_length=20,
        choices=ConvocationAnswer.choices,
        default=ConvocationAnswer.PENDING,
    )
    answered_at = models.DateTimeField(_("a répondu le"), null=True, blank=True)
    invitation_sequence = models.PositiveIntegerField(default=0)
    reminded_week_before_at = models.DateTimeField(null=True, blank=True)
    reminded_day_before_at = models.DateTimeField(null=True, blank=True)

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

    @property
    def invitation_uid(self) -> str:
        return invitation_uid(self.pk)


def invitation_uid(member_id: int) -> str:
    """The iCalendar UID of a seat's invitation: the same for its request, its updates and its
    cancellation (which is sent once the seat is gone, hence a function of the id alone)."""
    return f"jury-seat-{member_id}@cqpi"


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


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Vote en cours")
    ADOPTED = "adopted", _("Adoptée")
    REJECTED = "rejected", _("Rejetée")
    WITHDRAWN = "withdrawn", _("Retirée")


class Proposal(UndeletableModel):
    """A proposed decision on one dossier of an open session, put to the vote of the members
    present. Adopted with the majority the branch's rules require, it becomes the decision;
    rejected or withdrawn, another may be put. Kept, with its tally, for the procès-verbal."""

    session = models.ForeignKey(JurySession, on_delete=models.PROTECT, related_name="proposals")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="proposals")
    outcome = models.CharField(_("proposition"), max_length=20, choices=Outcome.choices)
    reasons = models.TextField(_("motivation"), blank=True)
    validated_capacity_ids = models.JSONField(_("capacités validées"), default=list)
    # {capacity id (as text): why the jury departs from the evaluation on it}
    override_reasons = models.JSONField(default=dict)
    status = models.CharField(
        _("statut"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    put_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    put_at = models.DateTimeField(_("mise aux voix le"))
    # The tally, written when the vote concludes.
    votes_for = models.PositiveSmallIntegerField(_("pour"), default=0)
    votes_against = models.PositiveSmallIntegerField(_("contre"), default=0)
    votes_abstain = models.PositiveSmallIntegerField(_("abstentions"), default=0)
    members_present = models.PositiveSmallIntegerField(_("membres présents"), default=0)
    casting_vote = models.BooleanField(_("voix prépondérante du président"), default=False)
    concluded_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(_("motif du retrait"), blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposition de décision")
        verbose_name_plural = _("propositions de décision")
        ordering = ["put_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "dossier"],
                condition=Q(status="open"),
                name="one_open_proposal_per_dossier",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} — {self.get_outcome_display()} ({self.get_status_display()})"


class VoteChoice(models.TextChoices):
    FOR = "for", _("Pour")
    AGAINST = "against", _("Contre")
    ABSTAIN = "abstain", _("Abstention")


class Vote(UndeletableModel):
    """One member's vote on a proposal: cast in the app by the member, or recorded by the
    secretary for a show of hands (`by_show_of_hands`). One per member and proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey(JuryMember, on_delete=models.PROTECT, related_name="votes")
    choice = models.CharField(_("vote"), max_length=10, choices=VoteChoice.choices)
    by_show_of_hands = models.BooleanField(_("à main levée"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cast_at = models.DateTimeField(_("exprimé le"))

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="one_vote_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.member_id} {self.choice}"


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
    # The adopted proposal this decision comes from, with its tally (none for decisions
    # recorded before votes existed).
    proposal = models.OneToOneField(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
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


class MinutesSignature(UndeletableModel):
    """The chair's or vice-chair's signature of a session's procès-verbal, given in the app
    after re-authenticating: who, when, from where, and the SHA-256 of the text they signed."""

    session = models.ForeignKey(
        JurySession, on_delete=models.PROTECT, related_name="minutes_signatures"
    )
    member = models.ForeignKey(JuryMember, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("fonction"), max_length=20, choices=MemberRole.choices)
    signed_at = models.DateTimeField(_("signé le"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    content_sha256 = models.CharField(_("empreinte SHA-256 du procès-verbal"), max_length=64)
    second_factor = models.BooleanField(_("second facteur vérifié"), default=False)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature du procès-verbal")
        verbose_name_plural = _("signatures du procès-verbal")
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "role"], name="one_signature_per_function")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.role} {self.signed_at:%Y-%m-%d %H:%M}"


def feed_token_hash(token: str) -> str:
    """What is kept of a calendar feed's token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A person's private calendar feed of their evaluations: the address carries a random
    token, of which only the SHA-256 is kept (shown once, like an API token). Renewing it
    replaces the row, so the old address stops working; revoking deletes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("créée le"))

    class Meta:
        verbose_name = _("agenda privé")
        verbose_name_plural = _("agendas privés")

    def __str__(self) -> str:
        return f"{self.user_id} ({self.created_at:%Y-%m-%d})"


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
