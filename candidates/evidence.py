"""Evidence files of a dossier: who may add them at which stage, storing them safely, who may read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from audit.services import audit_record
from branches.access import roles_of
from core.errors import DomainError
from core.uploads import EVIDENCE_TYPES, inspect_upload

from .models import (
    GRANT_SCORE_EVALUATION,
    Dossier,
    DossierStatus,
    EvidenceDossier,
    EvidenceDossierStatus,
    EvidenceFile,
)

S = DossierStatus

# A candidate gathers VAE evidence until the evaluation is done.
CANDIDATE_UPLOAD_STATUSES = frozenset({S.OPEN, S.ADMISSIBLE, S.POSITIONING, S.EVALUATION})


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class Quota:
    """What the candidate has attached to a dossier, against what they may."""

    files: int
    bytes: int
    max_files: int
    max_bytes: int

    @property
    def full(self) -> bool:
        return self.files >= self.max_files or self.bytes >= self.max_bytes

    def admits(self, size: int) -> bool:
        return self.files < self.max_files and self.bytes + size <= self.max_bytes


def candidate_quota(dossier: Dossier) -> Quota:
    """The candidate's own files on the dossier, counted against the settings' quota."""
    totals = EvidenceFile.objects.filter(
        dossier_id=dossier.pk, uploaded_by_id=dossier.candidate.user_id
    ).aggregate(files=Count("pk"), bytes=Sum("size"))
    return Quota(
        files=totals["files"] or 0,
        bytes=totals["bytes"] or 0,
        max_files=int(getattr(settings, "CANDIDATE_EVIDENCE_MAX_FILES", 20)),
        max_bytes=int(getattr(settings, "CANDIDATE_EVIDENCE_MAX_TOTAL_BYTES", 50 * 1024 * 1024)),
    )


def _evidence_dossier_submitted(dossier: Dossier) -> bool:
    return EvidenceDossier.objects.filter(
        dossier_id=dossier.pk, status=EvidenceDossierStatus.SUBMITTED
    ).exists()


# The evaluations room sits above this one: a grid is reached through the relation it
# declares onto dossiers, its status spelt here (evaluations.models.SheetStatus.DRAFT).
_SHEET_DRAFT = "draft"


def _scores_a_draft_sheet(user: Any, dossier: Dossier) -> bool:
    """Whether `user` holds a grid of this dossier still being filled in, and the grant on
    its evaluation."""
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return False
    return dossier.evaluations.filter(
        sheets__evaluator_id=user_id,
        sheets__status=_SHEET_DRAFT,
        grants__user_id=user_id,
        grants__permission__codename=GRANT_SCORE_EVALUATION,
    ).exists()


def upload_capacity_of(user: Any, dossier: Dossier) -> str | None:
    """In which capacity `user` may add evidence to `dossier` now: "staff", "candidate",
    "evaluator", or None."""
    roles = roles_of(user)
    if not roles.is_authenticated:
        return None
    if roles.is_staff_of(dossier.branch_id):
        return "staff"
    if (
        dossier.candidate.user_id == roles.user_id
        and dossier.status in CANDIDATE_UPLOAD_STATUSES
        and not _evidence_dossier_submitted(dossier)
    ):
        return "candidate"
    if (roles.is_evaluator or roles.is_referent) and _scores_a_draft_sheet(user, dossier):
        return "evaluator"
    return None


def check_may_upload(user: Any, dossier: Dossier) -> str:
    """The capacity in which `user` adds evidence; PermissionDenied for those who never may,
    DomainError (with the reason) for those whose stage is over."""
    role = upload_capacity_of(user, dossier)
    if role is not None:
        return role
    roles = roles_of(user)
    if dossier.candidate.user_id == roles.user_id and dossier.status in CANDIDATE_UPLOAD_STATUSES:
        raise DomainError(
            _("Votre dossier de preuves est transmis : il ne peut plus être modifié."),
            code="evidence_dossier_submitted",
        )
    if dossier.candidate.user_id == roles.user_id:
        raise DomainError(
            _("À ce stade du dossier (« %(status)s »), vous ne pouvez plus déposer de pièces.")
            % {"status": dossier.get_status_display()},
            code="evidence_closed",
        )
    if dossier.evaluations.filter(sheets__evaluator_id=roles.user_id).exists():
        raise DomainError(
            _("Votre grille est transmise : vous ne pouvez plus y joindre de pièces."),
            code="evidence_closed",
        )
    raise PermissionDenied


def evidence_add(
    *, dossier: Dossier, uploaded: Any, by: Any, capacity: Any | None = None
) -> EvidenceFile:
    """Check who adds what, then store the file under a server-generated name.

    The content decides the type (magic bytes), never the name; a refused file leaves
    no row and no file behind.
    """
    role = check_may_upload(by, dossier)
    if capacity is not None and capacity.bloc.version_id != dossier.version_id:
        raise DomainError(
            _("Cette capacité n'appartient pas au référentiel du dossier."),
            code="invalid_capacity",
        )
    if role == "evaluator" and capacity is None:
        raise DomainError(
            _("Indiquez la capacité que cette pièce illustre."), code="capacity_required"
        )
    accepted = inspect_upload(uploaded, allowed=EVIDENCE_TYPES, max_bytes=max_bytes())
    evidence = EvidenceFile(
        dossier=dossier,
        capacity=capacity,
        original_name=accepted.original_name,
        content_type=accepted.content_type,
        size=accepted.size,
        uploaded_by=by,
    )
    uploaded.seek(0)
    # The storage path is generated by the model (a random name under the dossier's folder).
    evidence.file.save(f"piece.{accepted.extension}", uploaded, save=False)
    try:
        with transaction.atomic():
            if role == "candidate":
                # One upload at a time per dossier, so two at once cannot both fit the quota.
                Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
                if not candidate_quota(dossier).admits(accepted.size):
                    raise DomainError(
                        _(
                            "Vous avez atteint le nombre ou la taille totale de pièces "
                            "autorisés pour ce dossier : contactez votre branche."
                        ),
                        code="evidence_quota",
                    )
            evidence.save()
            audit_record(
                "evidence.add",
                obj=evidence,
                branch=dossier.branch_id,
                actor=by,
                label=dossier.reference,
                details={
                    "dossier": dossier.reference,
                    "as": role,
                    "type": accepted.content_type,
                    "size": accepted.size,
                    "capacity": capacity.pk if capacity is not None else None,
                },
            )
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence


def evidence_visible_to(user: Any) -> QuerySet[EvidenceFile]:
    """The evidence files a user may download: those of the dossiers they may see."""
    return EvidenceFile.objects.filter(dossier__in=Dossier.objects.visible_to(user))


def evidence_of(dossier: Dossier) -> QuerySet[EvidenceFile]:
    return dossier.evidence.select_related("capacity", "uploaded_by").order_by("uploaded_at", "pk")
