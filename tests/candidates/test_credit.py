"""Crediting capacities from issued documents: completing a partial validation, and
recognition between branches through the equivalence table (#18 items 3 and 4)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from candidates import ledger
from candidates import services as dossier_services
from candidates.models import AccessRoute, CreditedCapacity, CreditSource, Dossier
from certifications import services as certificate_services
from certifications.models import Capacity, Certificate, CertificateKind, Equivalence
from core.errors import DomainError
from evaluations import services as evaluation_services
from evaluations.models import CapacityOutcome, EvaluationKind, Outcome
from sampledata.jury import jury_decides
from tests.factories import CandidateFactory, build_referentiel
from tests.workflow import award, evaluate_the_rest, open_dossier, open_session, partial


def _capacities(version: Any) -> list[Capacity]:
    return list(Capacity.objects.filter(bloc__version=version).order_by("bloc__order", "order"))


def test_a_partial_validation_is_completed_into_a_full_certificate(cast: Any) -> None:
    attestation = partial(cast, validated=2).certificates.get()
    assert attestation.kind == CertificateKind.PARTIAL
    dossier = open_dossier(cast)

    credited = dossier_services.dossier_credit(
        dossier=dossier, reference=attestation.number, by=cast.staff_a
    )

    first_two = [c.pk for c in _capacities(cast.version)[:2]]
    assert sorted(c.capacity_id for c in credited) == sorted(first_two)
    assert {c.source for c in credited} == {CreditSource.LEDGER}
    assert {c.document_number for c in credited} == {attestation.number}
    assert AuditEvent.objects.filter(action="dossier.credit", object_id=str(dossier.pk)).exists()

    evaluate_the_rest(cast, dossier)
    assert dossier.status == "ready_for_jury"
    session = open_session(cast, [dossier])
    decision = jury_decides(
        session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer
    )

    certificate = decision.certificates.get()
    assert certificate.kind == CertificateKind.CERTIFICATE
    listed = [c for bloc in certificate.snapshot["blocs"] for c in bloc["capacities"]]
    assert [c["code"] for c in listed] == [c.code for c in _capacities(cast.version)]
    assert [c.get("credited", {}).get("number") for c in listed] == [
        attestation.number,
        attestation.number,
        None,
        None,
    ]
    assert [d["number"] for d in certificate.snapshot["credited_documents"]] == [attestation.number]
    # The ledger lists both documents, the certificate naming the attestation.
    entries = {e.number: e for e in ledger.person_ledger(cast.candidate.person)}
    assert set(entries) == {attestation.number, certificate.number}


def test_the_evaluator_cannot_score_a_credited_capacity(cast: Any) -> None:
    attestation = partial(cast, validated=2).certificates.get()
    dossier = open_dossier(cast)
    dossier_services.dossier_credit(dossier=dossier, reference=attestation.number, by=cast.staff_a)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    sheet = evaluation.sheets.get()
    credited = _capacities(cast.version)[0]
    with pytest.raises(DomainError) as refused:
        evaluation_services.sheet_save(
            sheet=sheet,
            entries={credited.pk: evaluation_services.CapacityEntry(CapacityOutcome.ACQUIRED)},
            expected_version=sheet.version,
            by=cast.evaluator,
        )
    assert refused.value.code == "credited_capacity"


def test_an_expired_partial_validation_is_not_credited(cast: Any) -> None:
    attestation = partial(cast, validated=2).certificates.get()
    # As time passing would leave it: the day in the row and in the snapshot has gone by.
    lapsed = timezone.localdate() - datetime.timedelta(days=1)
    Certificate.objects.filter(pk=attestation.pk).update(
        valid_until=lapsed,
        snapshot={**attestation.snapshot, "valid_until": lapsed.isoformat()},
    )
    dossier = open_dossier(cast)
    with pytest.raises(DomainError) as refused:
        dossier_services.dossier_credit(
            dossier=dossier, reference=attestation.number, by=cast.staff_a
        )
    assert refused.value.code == "document_expired"
    assert not CreditedCapacity.objects.exists()
    # Nor offered on the dossier's page.
    from django.test import Client

    client = Client()
    client.force_login(cast.staff_a)
    page = client.get(dossier.get_absolute_url()).content.decode()
    assert f'value="{attestation.number}"' not in page


def test_a_revoked_document_credits_nothing(cast: Any) -> None:
    attestation = partial(cast, validated=2).certificates.get()
    certificate_services.certificate_revoke(
        certificate=attestation, reason="Fraude", by=cast.staff_a
    )
    dossier = open_dossier(cast)
    with pytest.raises(DomainError) as refused:
        dossier_services.dossier_credit(
            dossier=dossier, reference=attestation.number, by=cast.staff_a
        )
    assert refused.value.code == "document_not_valid"


def test_another_persons_document_credits_nothing(cast: Any) -> None:
    attestation = partial(cast, candidate=cast.other_candidate).certificates.get()
    dossier = open_dossier(cast)
    with pytest.raises(DomainError) as refused:
        dossier_services.dossier_credit(
            dossier=dossier, reference=attestation.verification_code, by=cast.staff_a
        )
    assert refused.value.code == "document_unknown"


def test_only_the_dossiers_staff_credit(cast: Any) -> None:
    attestation = partial(cast, validated=2).certificates.get()
    dossier = open_dossier(cast)
    with pytest.raises(PermissionDenied):
        dossier_services.dossier_credit(
            dossier=dossier, reference=attestation.number, by=cast.staff_b
        )


# --- Recognition between branches -------------------------------------------------------


@pytest.fixture
def other_cqpi(cast: Any) -> Any:
    _referentiel, version = build_referentiel(
        branches=[cast.branch_b, cast.branch_a], title="Opérateur logistique"
    )
    return version


def _b_dossier(cast: Any, version: Any) -> Dossier:
    """The holder, registered by branch B as a separate record (no link to their person)."""
    twin = CandidateFactory.create(
        branch=cast.branch_b,
        last_name=cast.candidate.last_name.upper(),
        first_name=cast.candidate.first_name,
        birth_date=cast.candidate.birth_date,
        birth_place=cast.candidate.birth_place,
    )
    return dossier_services.dossier_open(
        candidate=twin, version=version, access_route=AccessRoute.CONTINUING, by=cast.staff_b
    )


def _equivalence(cast: Any, source: Any, target: Any, *, approve: bool = True) -> Equivalence:
    row = certificate_services.equivalence_propose(source=source, target=target, by=cast.admin)
    if approve:
        certificate_services.equivalence_approve(equivalence=row, by=cast.admin)
    return row


def test_branch_b_credits_equivalent_capacities_without_seeing_branch_as_dossier(
    client: Any, cast: Any, other_cqpi: Any
) -> None:
    certificate = award(cast).certificates.get()
    mine, theirs = _capacities(cast.version), _capacities(other_cqpi)
    _equivalence(cast, mine[0], theirs[0])
    _equivalence(cast, mine[1].bloc.version.blocs.get(code="B2"), other_cqpi.blocs.get(code="B2"))
    _equivalence(cast, mine[1], theirs[1], approve=False)  # proposed only: credits nothing
    superseded = _equivalence(cast, mine[0], theirs[2])
    certificate_services.equivalence_supersede(
        equivalence=superseded, reason="Contenus trop éloignés", by=cast.admin
    )
    dossier = _b_dossier(cast, other_cqpi)

    credited = dossier_services.dossier_credit(
        dossier=dossier, reference=certificate.verification_code, by=cast.staff_b
    )

    assert {c.capacity_id for c in credited} == {theirs[0].pk, theirs[2].pk, theirs[3].pk}
    assert {c.source for c in credited} == {CreditSource.RECOGNITION}
    assert {c.document_branch for c in credited} == {cast.branch_a.name}
    event = AuditEvent.objects.get(action="dossier.credit")
    assert event.branch_id == cast.branch_b.pk
    assert event.details["document"] == certificate.number
    # B holds the provenance, never A's dossier nor its certificate.
    a_dossier = certificate.dossier
    assert not Dossier.objects.visible_to(cast.staff_b).filter(pk=a_dossier.pk).exists()
    assert not Certificate.objects.visible_to(cast.staff_b).filter(pk=certificate.pk).exists()
    client.force_login(cast.staff_b)
    assert client.get(a_dossier.get_absolute_url()).status_code == 404
    page = client.get(dossier.get_absolute_url()).content.decode()
    assert certificate.number in page
    assert a_dossier.get_absolute_url() not in page
    # (A's certificate number holds A's dossier reference's digits: look for it alone.)
    assert not re.search(rf"(?<![\w-]){re.escape(a_dossier.reference)}", page)


def test_without_an_equivalence_nothing_is_credited(cast: Any, other_cqpi: Any) -> None:
    certificate = award(cast).certificates.get()
    dossier = _b_dossier(cast, other_cqpi)
    with pytest.raises(DomainError) as refused:
        dossier_services.dossier_credit(
            dossier=dossier, reference=certificate.number, by=cast.staff_b
        )
    assert refused.value.code == "nothing_to_credit"


def test_the_credit_page_answers_its_staff_only(client: Any, cast: Any) -> None:
    attestation = partial(cast, validated=2).certificates.get()
    dossier = open_dossier(cast)
    url = reverse("candidates:dossier_credit", args=[dossier.pk])
    data = {"credit-reference": attestation.number}
    assert client.post(url, data).status_code == 302  # to the login page
    assert not CreditedCapacity.objects.exists()
    client.force_login(cast.staff_b)
    assert client.post(url, data).status_code == 404
    client.force_login(cast.candidate_user)
    assert client.post(url, data).status_code == 403
    client.force_login(cast.staff_a)
    assert client.post(url, data).status_code == 302
    assert CreditedCapacity.objects.filter(dossier=dossier).count() == 2


# --- The equivalence table ---------------------------------------------------------------


def test_the_table_is_kept_by_national_administrators_and_never_deleted(
    cast: Any, other_cqpi: Any
) -> None:
    source, target = _capacities(cast.version)[0], _capacities(other_cqpi)[0]
    with pytest.raises(PermissionDenied):
        certificate_services.equivalence_propose(source=source, target=target, by=cast.staff_a)
    row = certificate_services.equivalence_propose(source=source, target=target, by=cast.admin)
    with pytest.raises(DomainError):
        certificate_services.equivalence_propose(source=source, target=target, by=cast.admin)
    with pytest.raises(DomainError):
        certificate_services.equivalence_propose(
            source=source, target=_capacities(cast.version)[1], by=cast.admin
        )
    certificate_services.equivalence_approve(equivalence=row, by=cast.admin)
    with pytest.raises(DomainError):
        certificate_services.equivalence_supersede(equivalence=row, reason=" ", by=cast.admin)
    certificate_services.equivalence_supersede(equivalence=row, reason="Erreur", by=cast.admin)
    row.refresh_from_db()
    assert (row.status, row.supersede_reason) == ("superseded", "Erreur")
    with pytest.raises(Exception, match="never deleted"):
        row.delete()
    # Superseded, the pair may be proposed again.
    certificate_services.equivalence_propose(source=source, target=target, by=cast.admin)


def test_the_table_page(client: Any, cast: Any, other_cqpi: Any) -> None:
    url = reverse("certifications:equivalence_list")
    source, target = _capacities(cast.version)[0], _capacities(other_cqpi)[0]
    data = {"source_capacity": source.pk, "target_capacity": target.pk, "comment": "Même geste"}
    assert client.get(url).status_code == 302
    client.force_login(cast.candidate_user)
    assert client.get(url).status_code == 403
    client.force_login(cast.staff_b)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    client.force_login(cast.admin)
    assert client.post(url, data).status_code == 302
    row = Equivalence.objects.get()
    approve = reverse("certifications:equivalence_approve", args=[row.pk])
    client.force_login(cast.staff_a)
    assert client.post(approve).status_code == 403
    client.force_login(cast.admin)
    assert client.post(approve).status_code == 302
    row.refresh_from_db()
    assert row.status == "approved"
    assert "Même geste" in client.get(url).content.decode()


def test_the_certificate_page_lists_every_capacity_and_names_the_crediting_document(
    client: Any, cast: Any
) -> None:
    from tests.workflow import complete

    attestation = partial(cast, validated=2).certificates.get()
    certificate = complete(cast, attestation).certificates.get()
    client.force_login(cast.staff_a)
    page = client.get(reverse("certifications:certificate_detail", args=[certificate.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    section = html.split('data-testid="certified-capacities"')[1].split("</section>")[0]
    for capacity in _capacities(cast.version):
        assert f"{capacity.code} — {capacity.title}" in section.replace("&#x27;", "'")
    assert section.count(f"acquise antérieurement : document n° {attestation.number}") == 2
    assert f"n° {attestation.number} ({cast.branch_a.name})" in section
