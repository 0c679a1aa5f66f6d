"""What the platform holds about a candidate, gathered for them alone (right of access and portability).

Left out on purpose: the comments written in a dossier's history and the evaluators' free-text
comments and indicator marks (working notes of staff and evaluators, told to the candidate
through the jury's decision), grids still being scored, and who among the staff did what.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch

from .identity import identity_gaps
from .models import (
    Candidate,
    Dossier,
    DossierHistory,
    DossierStatus,
    EvidenceDossier,
    EvidenceFile,
    EvidenceStatement,
)

# The evaluations room sits above this one (see selectors.py): its rows are reached through
# the relations it declares onto dossiers, its values spelt here.
# evaluations.models.SheetStatus.SUBMITTED.
_SHEET_SUBMITTED = "submitted"


def _when(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _status(value: str) -> str:
    return str(DossierStatus(value).label) if value in DossierStatus.values else value


def _account(user: Any) -> dict[str, Any]:
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": _when(user.date_joined),
        "last_login": _when(user.last_login),
    }


def _in_referentiel_order(lines: Any) -> list[Any]:
    """Capacity lines (results, decision lines) in the order of the référentiel."""
    return sorted(
        lines, key=lambda line: (line.capacity.bloc.order, line.capacity.order, line.capacity.code)
    )


def _evaluations(dossier: Dossier) -> list[dict[str, Any]]:
    evaluations = []
    for evaluation in dossier.evaluations.all():
        sheets = sorted(
            (sheet for sheet in evaluation.sheets.all() if sheet.status == _SHEET_SUBMITTED),
            key=lambda sheet: sheet.role,
        )
        evaluations.append(
            {
                "kind": str(evaluation.get_kind_display()),
                "status": str(evaluation.get_status_display()),
                "created_at": _when(evaluation.created_at),
                "submitted_at": _when(evaluation.submitted_at),
                "sheets": [
                    {
                        "role": str(sheet.get_role_display()),
                        "submitted_at": _when(sheet.submitted_at),
                        "results": [
                            {
                                "capacity": result.capacity.code,
                                "title": result.capacity.title,
                                "outcome": str(result.get_outcome_display()),
                            }
                            for result in _in_referentiel_order(sheet.results.all())
                        ],
                    }
                    for sheet in sheets
                ],
            }
        )
    return evaluations


def _dossier(dossier: Dossier) -> dict[str, Any]:
    return {
        "reference": dossier.reference,
        "cqpi": dossier.version.referentiel.title,
        "referentiel_version": dossier.version.number,
        "branch": dossier.branch.name,
        "company": dossier.company.name if dossier.company else None,
        "access_route": str(dossier.get_access_route_display()),
        "first_certification": dossier.first_certification,
        "status": str(dossier.get_status_display()),
        "opened_on": _when(dossier.opened_on),
        "status_changed_at": _when(dossier.status_changed_at),
        "history": [
            {
                "at": _when(entry.at),
                "from": _status(entry.from_status) if entry.from_status else None,
                "to": _status(entry.to_status),
            }
            for entry in dossier.history.all()
        ],
        "evaluations": _evaluations(dossier),
        "decisions": [
            {
                "outcome": str(decision.get_outcome_display()),
                "status": str(decision.get_status_display()),
                "decided_at": _when(decision.decided_at),
                "reasons": decision.reasons,
                "capacities": [
                    {
                        "capacity": line.capacity.code,
                        "title": line.capacity.title,
                        "validated": line.validated,
                    }
                    for line in _in_referentiel_order(decision.capacities.all())
                ],
            }
            for decision in dossier.decisions.all()
        ],
        "certificates": [
            {
                "number": certificate.number,
                "kind": str(certificate.get_kind_display()),
                "status": str(certificate.get_status_display()),
                "holder_name": certificate.holder_name,
                "issued_on": _when(certificate.issued_on),
                "place_of_issue": certificate.place_of_issue,
                "valid_until": _when(certificate.valid_until),
                "verification_url": certificate.verification_url,
                "revoked_at": _when(certificate.revoked_at),
                "revocation_reason": certificate.revocation_reason,
            }
            for certificate in dossier.certificates.all()
        ],
        "evidence": [
            {
                "name": evidence.original_name,
                "content_type": evidence.content_type,
                "size": evidence.size,
                "uploaded_at": _when(evidence.uploaded_at),
                "capacity": evidence.capacity.code if evidence.capacity else None,
            }
            for evidence in dossier.evidence.all()
        ],
        "dossier_of_evidence": _evidence_dossier(dossier),
    }


def _evidence_dossier(dossier: Dossier) -> dict[str, Any] | None:
    """What the candidate wrote in their dossier of evidence (VAE), capacity by capacity."""
    try:
        evidence_dossier = dossier.evidence_dossier
    except EvidenceDossier.DoesNotExist:
        return None
    return {
        "status": str(evidence_dossier.get_status_display()),
        "submitted_at": _when(evidence_dossier.submitted_at),
        "returned_at": _when(evidence_dossier.returned_at),
        "return_comment": evidence_dossier.return_comment,
        "descriptions": [
            {"capacity": statement.capacity.code, "text": statement.text}
            for statement in evidence_dossier.statements.all()
        ],
    }


def personal_data(*, user: Any) -> dict[str, Any]:
    """Everything held about `user` as a candidate: their account, identities and dossiers.

    Scoped by the account itself, never by a visibility rule: staff who are also
    candidates get their own files here and nothing of their branch.
    """
    dossiers = (
        Dossier.objects.filter(candidate__user=user)
        .select_related("branch", "company", "version__referentiel", "evidence_dossier")
        .prefetch_related(
            Prefetch(
                "evidence_dossier__statements",
                queryset=EvidenceStatement.objects.select_related("capacity").order_by(
                    "capacity__bloc__order", "capacity__order", "capacity__code"
                ),
            ),
            Prefetch("history", queryset=DossierHistory.objects.order_by("at", "pk")),
            "evaluations__sheets__results__capacity__bloc",
            "decisions__capacities__capacity__bloc",
            "certificates",
            Prefetch(
                "evidence",
                queryset=EvidenceFile.objects.select_related("capacity").order_by("uploaded_at"),
            ),
        )
        .order_by("opened_on", "pk")
    )
    by_candidate: dict[int, list[dict[str, Any]]] = {}
    for dossier in dossiers:
        by_candidate.setdefault(dossier.candidate_id, []).append(_dossier(dossier))
    candidates = Candidate.objects.filter(user=user).select_related("branch").order_by("pk")
    return {
        "account": _account(user),
        "candidates": [
            {
                "branch": candidate.branch.name,
                "last_name": candidate.last_name,
                "first_name": candidate.first_name,
                "birth_date": _when(candidate.birth_date),
                "birth_place": candidate.birth_place,
                "usage_name": candidate.usage_name,
                "first_name_2": candidate.first_name_2,
                "first_name_3": candidate.first_name_3,
                "sex": candidate.sex,
                "birth_insee_code": candidate.birth_insee_code,
                "birth_postal_code": candidate.birth_postal_code,
                "birth_country_code": candidate.birth_country_code,
                "birth_country_label": candidate.birth_country_label,
                "identity_gaps": identity_gaps(candidate),
                "email": candidate.email,
                "registered_at": _when(candidate.created_at),
                "dossiers": by_candidate.get(candidate.pk, []),
            }
            for candidate in candidates
        ],
    }
