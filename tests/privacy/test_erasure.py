"""The right to erasure: a candidate asks, the branch's staff approve (the certificates stay) or refuse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.services import user_is_anonymised
from audit.models import AuditEvent
from branches.models import Branch
from candidates import services as dossier_services
from candidates.models import EvidenceFile
from certifications.models import Certificate
from core.errors import DomainError
from declarations.services import flux_create
from figures.selectors import FigureFilters, compute_figures
from privacy import services
from privacy.models import AnonymisedCandidate, ErasureStatus
from privacy.personal_fields import CANDIDATE_PERSONAL_FIELDS
from tests import workflow
from tests.factories import complete_identity

from .conftest import add_evidence

pytestmark = pytest.mark.django_db


def _awarded_and_declared(cast: Any) -> Any:
    decision = workflow.award(cast)
    certificate = decision.certificates.get()
    # Declared to the Caisse des Dépôts in a flux (declarations/).
    complete_identity(cast.candidate)
    Branch.objects.filter(pk=cast.branch_a.pk).update(
        cdc_client_id="CLI00001", cdc_contract_id="MCFCERTIF-0001"
    )
    flux_create(branch=Branch.objects.get(pk=cast.branch_a.pk), by=cast.staff_a)
    certificate.refresh_from_db()
    return certificate


def test_a_candidate_asks_once_at_a_time(cast: Any) -> None:
    request = services.erasure_request_create(
        candidate=cast.candidate, by=cast.candidate_user, message="Je change de métier."
    )
    assert request.status == ErasureStatus.PENDING and request.branch_id == cast.branch_a.pk
    event = AuditEvent.objects.get(action="erasure.request")
    assert event.object_label == f"#{request.pk}" and "Durand" not in str(event.details)
    with pytest.raises(DomainError) as refused:
        services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)
    assert refused.value.code == "erasure_pending"


def test_only_the_candidate_asks_for_themself(cast: Any) -> None:
    for someone in (cast.other_candidate_user, cast.staff_a):
        with pytest.raises(PermissionDenied):
            services.erasure_request_create(candidate=cast.candidate, by=someone)


def test_an_erasure_is_refused_for_an_issued_certificate_and_carried_out_for_the_rest(
    cast: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    certificate = _awarded_and_declared(cast)
    evidence = add_evidence(certificate.dossier, cast.staff_a)
    stored = evidence.file.name
    figures_before = compute_figures(FigureFilters())
    kept_before = Certificate.objects.values().get(pk=certificate.pk)
    request = services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)

    with pytest.raises(DomainError) as unexplained:
        services.erasure_approve(request=request, by=cast.staff_a)
    assert unexplained.value.code == "reason_required"
    with django_capture_on_commit_callbacks(execute=True):
        done = services.erasure_approve(
            request=request,
            by=cast.staff_a,
            answer="Votre certificat est conservé : la loi oblige la branche à le garder.",
        )

    assert done.status == ErasureStatus.PARTIAL
    assert done.outcome == {
        "candidates": 1,
        "evidence_files": 1,
        # The history's two written notes (final evaluation sent, put on a session's agenda).
        "notes": 2,
        "accounts": 1,
        # Their national person, whom no other branch holds.
        "persons": 1,
        "certificates_kept": 1,
    }
    # What is kept: the certificate whole, its verification, the figures.
    assert Certificate.objects.values().get(pk=certificate.pk) == kept_before
    page = client.get(reverse("certifications:verify", args=[certificate.verification_code]))
    assert page.status_code == 200 and certificate.holder_name in page.content.decode()
    assert compute_figures(FigureFilters()) == figures_before
    # The rest is gone.
    cast.candidate.refresh_from_db()
    for name, replacement in CANDIDATE_PERSONAL_FIELDS.items():
        assert getattr(cast.candidate, name) == replacement(cast.candidate), name
    assert AnonymisedCandidate.objects.get(candidate=cast.candidate).reason == "erasure"
    assert not EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert not default_storage.exists(stored)
    cast.candidate_user.refresh_from_db()
    assert user_is_anonymised(cast.candidate_user) and not cast.candidate_user.is_active
    event = AuditEvent.objects.get(action="erasure.approve")
    assert event.details == done.outcome and event.actor == cast.staff_a


def test_without_a_certificate_the_erasure_is_whole(cast: Any) -> None:
    dossier = workflow.open_dossier(cast, candidate=cast.other_candidate)
    dossier_services.dossier_withdraw(dossier=dossier, by=cast.staff_a, comment="Départ")
    request = services.erasure_request_create(
        candidate=cast.other_candidate, by=cast.other_candidate_user
    )
    done = services.erasure_approve(request=request, by=cast.staff_a)
    assert done.status == ErasureStatus.DONE
    assert done.outcome["certificates_kept"] == 0 and done.outcome["notes"] == 1
    dossier.refresh_from_db()
    assert dossier.status == "withdrawn" and dossier.history.filter(comment="").count() == 2


def test_a_dossier_under_way_or_an_undeclared_award_blocks_the_approval(cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    request = services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)
    with pytest.raises(DomainError) as under_way:
        services.erasure_approve(request=request, by=cast.staff_a, answer="…")
    assert under_way.value.code == "dossier_in_progress"
    dossier_services.dossier_withdraw(dossier=dossier, by=cast.staff_a, comment="Départ")
    workflow.award(cast)
    with pytest.raises(DomainError) as undeclared:
        services.erasure_approve(request=request, by=cast.staff_a, answer="…")
    assert undeclared.value.code == "declaration_pending"
    request.refresh_from_db()
    assert request.status == ErasureStatus.PENDING
    assert not AnonymisedCandidate.objects.exists()


def test_a_refusal_needs_its_reason_and_changes_nothing_else(cast: Any) -> None:
    request = services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)
    with pytest.raises(DomainError):
        services.erasure_refuse(request=request, by=cast.staff_a, answer="  ")
    refused = services.erasure_refuse(
        request=request, by=cast.staff_a, answer="Votre dossier est en cours d'examen."
    )
    assert refused.status == ErasureStatus.REFUSED and refused.decided_by == cast.staff_a
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_name == "Durand"
    assert AuditEvent.objects.filter(action="erasure.refuse", branch=cast.branch_a).exists()
    with pytest.raises(DomainError) as answered:
        services.erasure_approve(request=request, by=cast.staff_a)
    assert answered.value.code == "erasure_answered"


@pytest.mark.parametrize("who", ["staff_b", "evaluator", "jury_employer", "candidate_user"])
def test_only_the_branchs_staff_answer(cast: Any, who: str) -> None:
    request = services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)
    with pytest.raises(PermissionDenied):
        services.erasure_approve(request=request, by=getattr(cast, who), answer="x")
    with pytest.raises(PermissionDenied):
        services.erasure_refuse(request=request, by=getattr(cast, who), answer="x")
    services.erasure_approve(request=request, by=cast.admin)


def test_an_account_with_another_role_is_kept(cast: Any) -> None:
    from branches.models import Membership, Role

    Membership.objects.create(user=cast.other_candidate_user, branch=cast.branch_b, role=Role.STAFF)
    request = services.erasure_request_create(
        candidate=cast.other_candidate, by=cast.other_candidate_user
    )
    done = services.erasure_approve(request=request, by=cast.staff_a)
    assert done.outcome["accounts"] == 0
    cast.other_candidate_user.refresh_from_db()
    assert cast.other_candidate_user.is_active and not user_is_anonymised(cast.other_candidate_user)
    cast.other_candidate.refresh_from_db()
    assert cast.other_candidate.user is None


def test_a_partial_validation_never_waits_for_a_declaration(cast: Any) -> None:
    # Partial validations are not declared to the Caisse des Dépôts (docs/cdc.md): they must
    # not hold an erasure back forever.
    certificate = workflow.award(cast).certificates.get()
    Certificate.objects.filter(pk=certificate.pk).update(kind="partial")
    request = services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)
    services.erasure_approve(request=request, by=cast.staff_a, answer="Attestation conservée.")
    request.refresh_from_db()
    assert request.status == ErasureStatus.PARTIAL


def test_the_erasure_deletes_the_descriptions_of_the_dossier_of_evidence(cast: Any) -> None:
    from candidates.models import AccessRoute, EvidenceDossier, EvidenceStatement
    from certifications.models import Capacity

    dossier = workflow.open_dossier(cast, candidate=cast.other_candidate, route=AccessRoute.VAE)
    capacity = Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by("pk")[0]
    dossier_services.evidence_statement_save(
        dossier=dossier, capacity=capacity, text="Mes tournées", by=cast.other_candidate_user
    )
    dossier_services.dossier_withdraw(dossier=dossier, by=cast.staff_a, comment="Départ")
    request = services.erasure_request_create(
        candidate=cast.other_candidate, by=cast.other_candidate_user
    )

    services.erasure_approve(request=request, by=cast.staff_a)

    assert not EvidenceDossier.objects.exists()
    assert not EvidenceStatement.objects.exists()
