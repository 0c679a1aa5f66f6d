"""The writes of the privacy room: anonymising a candidate, applying the retention policy, erasure requests.

This room's one job is to take personal data out of the rooms below it when its time is up, so it
writes a few of their columns itself (a candidate's identity, free-text notes, evidence files),
always by the list in `personal_fields.py` and never touching what the figures, the certificates
or the decisions read: dossiers keep their route, dates and status, decisions and certificates
(their snapshot, holder and PDF) stay whole.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import ANONYMOUS_EMAIL_DOMAIN, user_anonymise
from audit.services import audit_record, audit_redact_details
from branches.access import require_branch_staff, roles_of
from candidates.models import (
    Candidate,
    Dossier,
    DossierHistory,
    DossierStatus,
    EvidenceDossier,
    EvidenceFile,
)
from candidates.services import person_anonymise_if_unclaimed
from candidates.workflow import TERMINAL_STATUSES
from certifications.models import Certificate, CertificateKind, CertificateStatus
from core.errors import DomainError
from evaluations.models import CapacityResult

from .models import AnonymisedCandidate, ErasureRequest, ErasureStatus
from .personal_fields import CANDIDATE_PERSONAL_FIELDS
from .policy import Cutoffs, RetentionPolicy

S = DossierStatus

# The ends of a path that award nothing: after the policy's years, nothing of the person is kept.
CLOSED_STATUSES = frozenset({S.REFUSED, S.WITHDRAWN, S.INADMISSIBLE})


# --- Pieces shared by the policy and erasure -------------------------------------------------


def _evidence_delete(evidence: QuerySet[EvidenceFile]) -> Counter[int]:
    """Delete the rows now and their files from storage once the transaction commits (a rolled
    back run keeps both). Returns the count per branch."""
    rows = list(evidence.values_list("pk", "file", "dossier__branch_id"))
    if not rows:
        return Counter()
    storage = EvidenceFile._meta.get_field("file").storage  # type: ignore[attr-defined]
    names = [name for _pk, name, _branch in rows if name]
    EvidenceFile.objects.filter(pk__in=[pk for pk, _name, _branch in rows]).delete()

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return Counter(branch for _pk, _name, branch in rows)


def _notes_clear(dossiers: QuerySet[Dossier]) -> int:
    """Blank the free text written about the person: history comments and grid comments. The
    jury's reasons stay with its decision (the record of the act)."""
    cleared = (
        DossierHistory.objects.filter(dossier__in=dossiers).exclude(comment="").update(comment="")
    )
    cleared += (
        CapacityResult.objects.filter(sheet__evaluation__dossier__in=dossiers)
        .exclude(comment="")
        .update(comment="")
    )
    return cleared


def _holds_another_role(user: User, *, besides: Candidate) -> bool:
    """Whether the account is needed for something else than this candidate profile."""
    if user.is_superuser or user.is_staff or user.is_coc_observer:
        return True
    if user.memberships.filter(is_active=True).exists():
        return True
    if user.habilitations.filter(valid_until__gte=timezone.localdate()).exists():
        return True
    return (
        Candidate.objects.filter(user=user)
        .exclude(pk=besides.pk)
        .filter(anonymisation__isnull=True)
        .exists()
    )


def candidate_anonymise(*, candidate: Candidate, reason: str) -> dict[str, int]:
    """Replace the candidate's personal fields, delete their evidence files, blank the notes
    written about them and close their account unless it serves another role. Their dossiers,
    decisions and certificates stay (the figures and public verification read them). Returns
    the counts; nothing happens twice."""
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if AnonymisedCandidate.objects.filter(candidate=candidate).exists():
            return {}
        dossiers = Dossier.objects.filter(candidate=candidate)
        evidence = _evidence_delete(EvidenceFile.objects.filter(dossier__in=dossiers))
        # What they wrote in their dossiers of evidence (VAE) goes with the files.
        EvidenceDossier.objects.filter(dossier__in=dossiers).delete()
        notes = _notes_clear(dossiers)
        account = 0
        if candidate.user is not None and not _holds_another_role(
            candidate.user, besides=candidate
        ):
            account = int(user_anonymise(user=candidate.user))
        person_id = candidate.person_id
        for name, replacement in CANDIDATE_PERSONAL_FIELDS.items():
            setattr(candidate, name, replacement(candidate))
        candidate.save(update_fields=list(CANDIDATE_PERSONAL_FIELDS))
        persons = person_anonymise_if_unclaimed(person_id=person_id) if person_id is not None else 0
        AnonymisedCandidate.objects.create(candidate=candidate, reason=reason)
        return {
            "candidates": 1,
            "evidence_files": sum(evidence.values()),
            "notes": notes,
            "accounts": account,
            "persons": persons,
        }


# --- The retention policy ----------------------------------------------------------------------


# Rows handled per transaction: a long first run keeps what it did if it is stopped.
BATCH = 500


def _step_evidence(before: datetime.datetime) -> Counter[int]:
    """Evidence of the dossiers whose path ended (decision, withdrawal) before `before`."""
    ended = Dossier.objects.filter(status__in=TERMINAL_STATUSES, status_changed_at__lt=before)
    due = EvidenceFile.objects.filter(dossier__in=ended).order_by("pk")
    # The candidate's descriptions (VAE dossier of evidence) follow the files' rule.
    EvidenceDossier.objects.filter(dossier__in=ended).delete()
    done: Counter[int] = Counter()
    while True:
        with transaction.atomic():
            batch = _evidence_delete(
                EvidenceFile.objects.filter(pk__in=list(due.values_list("pk", flat=True)[:BATCH]))
            )
        if not batch:
            return done
        done.update(batch)


def _step_closed_dossiers(before: datetime.datetime) -> tuple[Counter[int], Counter[int]]:
    """Notes of the closed dossiers past their years; their candidates, when nothing else of
    theirs is still kept. Returns (notes cleared, candidates anonymised) per branch."""
    expired = Q(status__in=CLOSED_STATUSES, status_changed_at__lt=before)
    notes: Counter[int] = Counter()
    for branch_id in (
        Dossier.objects.filter(expired).values_list("branch_id", flat=True).distinct().order_by()
    ):
        cleared = _notes_clear(Dossier.objects.filter(expired, branch_id=branch_id))
        if cleared:
            notes[branch_id] = cleared
    candidates: Counter[int] = Counter()
    due = (
        Candidate.objects.filter(anonymisation__isnull=True, created_at__lt=before)
        .exclude(pk__in=Dossier.objects.exclude(expired).values("candidate_id"))
        .order_by("pk")
    )
    for candidate in due:
        if candidate_anonymise(candidate=candidate, reason="retention"):
            candidates[candidate.branch_id] += 1
    return notes, candidates


def inactive_accounts(before: datetime.datetime) -> QuerySet[User]:
    """Accounts unused since `before` that hold no role any more: no national role, no active
    membership, no habilitation in force, no dossier still under way."""
    today = timezone.localdate()
    return (
        User.objects.filter(is_superuser=False, is_staff=False, is_coc_observer=False)
        .filter(Q(last_login__lt=before) | Q(last_login__isnull=True, date_joined__lt=before))
        .exclude(email__endswith=f"@{ANONYMOUS_EMAIL_DOMAIN}")
        .exclude(memberships__is_active=True)
        .exclude(habilitations__valid_until__gte=today)
        .exclude(
            pk__in=Candidate.objects.filter(
                user__isnull=False,
                dossiers__in=Dossier.objects.exclude(status__in=TERMINAL_STATUSES),
            ).values("user_id")
        )
        .order_by("pk")
    )


def _step_accounts(before: datetime.datetime) -> int:
    done = 0
    for user in inactive_accounts(before):
        with transaction.atomic():
            # The candidate profiles stay (their own rule applies); only the link goes.
            Candidate.objects.filter(user=user).update(user=None)
            done += int(user_anonymise(user=user))
    return done


def _step_login_records(before: datetime.datetime) -> int:
    """django-axes' records of logins and failed attempts (address, browser, identifier typed)
    older than `before`: the audit trail keeps the events, these copies go."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    deleted = 0
    for model in (AccessLog, AccessFailureLog, AccessAttempt):
        count, _per_model = model.objects.filter(attempt_time__lt=before).delete()
        deleted += count
    return deleted


def _apply(cutoffs: Cutoffs, *, dry_run: bool) -> dict[str, int]:
    evidence = _step_evidence(cutoffs.evidence)
    notes, candidates = _step_closed_dossiers(cutoffs.closed_dossier)
    accounts = _step_accounts(cutoffs.inactive_account)
    audit_events = audit_redact_details(before=cutoffs.audit_details)
    login_records = _step_login_records(cutoffs.audit_details)
    report = {
        "evidence_files": sum(evidence.values()),
        "notes": sum(notes.values()),
        "candidates": sum(candidates.values()),
        "accounts": accounts,
        "audit_events": audit_events,
        "login_records": login_records,
    }
    with transaction.atomic():
        for branch_id in sorted(set(evidence) | set(notes) | set(candidates)):
            audit_record(
                "privacy.retention_branch",
                branch=branch_id,
                actor=None,
                details={
                    "evidence_files": evidence[branch_id],
                    "notes": notes[branch_id],
                    "candidates": candidates[branch_id],
                },
            )
        audit_record("privacy.retention", actor=None, details={**report, "dry_run": dry_run})
    return report


def retention_apply(
    *, now: datetime.datetime | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Apply the retention policy once: delete the evidence files, blank the notes, anonymise
    the candidates and accounts, and redact the audit details that are past their time. Writes
    what it did to the audit trail (counts only: one event per branch concerned, and one for
    the whole run). A second run finds nothing more to do.

    Each candidate, account and batch is its own transaction: a run stopped halfway keeps what
    it did, and the next one carries on. `dry_run` runs it all in one transaction rolled back
    (files included: they are deleted only on commit), so it counts and changes nothing.
    """
    cutoffs = RetentionPolicy.from_settings().cutoffs(now)
    if not dry_run:
        return _apply(cutoffs, dry_run=False)
    with transaction.atomic():
        report = _apply(cutoffs, dry_run=True)
        transaction.set_rollback(True)
    return report


# --- The right to erasure ----------------------------------------------------------------------


def erasure_request_create(*, candidate: Candidate, by: Any, message: str = "") -> ErasureRequest:
    """A candidate asks their branch to erase what it holds about them."""
    if candidate.user_id is None or candidate.user_id != roles_of(by).user_id:
        raise PermissionDenied
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if ErasureRequest.objects.filter(
            candidate=candidate, status=ErasureStatus.PENDING
        ).exists():
            raise DomainError(
                _("Votre demande d'effacement est déjà en cours d'examen par votre branche."),
                code="erasure_pending",
            )
        request = ErasureRequest.objects.create(
            candidate=candidate,
            branch_id=candidate.branch_id,
            requested_by=by,
            message=message.strip(),
        )
        audit_record(
            "erasure.request",
            obj=request,
            branch=candidate.branch_id,
            actor=by,
            label=f"#{request.pk}",
        )
    return request


def _lock_pending(request: ErasureRequest, by: Any) -> ErasureRequest:
    require_branch_staff(by, request.branch_id)
    locked = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ErasureStatus.PENDING:
        raise DomainError(
            _("Cette demande a déjà reçu une réponse (« %(status)s »).")
            % {"status": locked.get_status_display()},
            code="erasure_answered",
        )
    return locked


@transaction.atomic
def erasure_refuse(*, request: ErasureRequest, by: Any, answer: str) -> ErasureRequest:
    """Staff refuse the request, saying why (a legal duty to keep the data, a dossier under way)."""
    locked = _lock_pending(request, by)
    if not answer.strip():
        raise DomainError(_("Indiquez le motif du refus."), code="reason_required")
    locked.status = ErasureStatus.REFUSED
    locked.answer = answer.strip()
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "answer", "decided_by", "decided_at"])
    audit_record("erasure.refuse", obj=locked, actor=by, label=f"#{locked.pk}")
    return locked


@transaction.atomic
def erasure_approve(*, request: ErasureRequest, by: Any, answer: str = "") -> ErasureRequest:
    """Staff approve the request: the candidate is anonymised as the retention policy would.

    Refused while a dossier is under way (it needs the person) or an award is not yet declared
    to the Caisse des Dépôts (a legal duty that needs the identity). Issued certificates and
    attestations stay whole (their snapshot is the record of the award, kept under legal
    retention), and `answer` must then tell the candidate so: the request is carried out for
    everything else.
    """
    locked = _lock_pending(request, by)
    candidate = locked.candidate
    dossiers = Dossier.objects.filter(candidate=candidate)
    if dossiers.exclude(status__in=TERMINAL_STATUSES).exists():
        raise DomainError(
            _(
                "Un dossier de ce candidat est en cours : clôturez-le (abandon) ou attendez la "
                "décision du jury avant d'effacer ses données."
            ),
            code="dossier_in_progress",
        )
    certificates = Certificate.objects.filter(dossier__in=dossiers)
    # Certificates only: partial validations are not declared (docs/cdc.md).
    if certificates.filter(
        kind=CertificateKind.CERTIFICATE,
        status=CertificateStatus.VALID,
        reported_to_passport_at__isnull=True,
    ).exists():
        raise DomainError(
            _(
                "Un certificat de ce candidat n'est pas encore déclaré au Passeport de "
                "compétences : déclarez-le d'abord, la déclaration est une obligation légale."
            ),
            code="declaration_pending",
        )
    kept = certificates.count()
    if kept and not answer.strip():
        raise DomainError(
            _(
                "Ce candidat a reçu un certificat ou une attestation, conservé au titre de "
                "l'obligation légale : indiquez-le dans la réponse au candidat."
            ),
            code="reason_required",
        )
    counts = candidate_anonymise(candidate=candidate, reason="erasure")
    locked.status = ErasureStatus.PARTIAL if kept else ErasureStatus.DONE
    locked.answer = answer.strip()
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.outcome = {**counts, "certificates_kept": kept}
    locked.save(update_fields=["status", "answer", "decided_by", "decided_at", "outcome"])
    audit_record(
        "erasure.approve", obj=locked, actor=by, label=f"#{locked.pk}", details=locked.outcome
    )
    return locked
