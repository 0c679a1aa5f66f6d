"""Producing a flux, the Caisse's acknowledgement, corrections after a revocation."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from lxml import etree

from audit.models import AuditEvent
from candidates.models import AccessRoute, Dossier
from certifications import services as certificate_services
from certifications.models import Certificate
from core.errors import DomainError
from declarations import flux as cdc
from declarations import selectors, services
from declarations.models import DeclarationEntry, EntryOutcome, FluxStatus

from .conftest import awarded

pytestmark = pytest.mark.django_db
NS = {"cpf": cdc.NS}


def stored(record: Any) -> bytes:
    with record.file.open("rb") as handle:
        return bytes(handle.read())


def test_a_flux_holds_every_declarable_award_and_is_valid(cast: Any, cdc_branch: Any) -> None:
    routes = list(AccessRoute.values)
    certificates = [awarded(cast) for _ in routes]
    for certificate, route in zip(certificates, routes, strict=True):
        Dossier.objects.filter(pk=certificate.dossier_id).update(access_route=route)
    abroad = awarded(
        cast,
        birth_insee_code="",
        birth_country_code="134",
        birth_country_label="Espagne",
        usage_name="Martin",
    )
    # The commune code of a birth abroad is 99 + the country, filled in by the service
    # only; a row written directly needs it.
    abroad.dossier.candidate.__class__.objects.filter(pk=abroad.dossier.candidate_id).update(
        birth_insee_code="99134"
    )

    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)

    content = stored(record)
    assert cdc.errors(content) == []
    tree = etree.fromstring(content)
    assert tree.findtext("cpf:idFlux", namespaces=NS) == record.reference
    assert tree.findtext(".//cpf:certificateur/cpf:idContrat", namespaces=NS) == "MCFCERTIF-0001"
    ids = [e.text for e in tree.findall(".//cpf:idTechnique", NS)]
    assert sorted(ids) == sorted(c.number for c in [*certificates, abroad])
    proofs = {e.text for e in tree.findall(".//cpf:urlPreuve", NS)}
    assert abroad.verification_url in proofs
    assert {e.text for e in tree.findall(".//cpf:modaliteAcces", NS)} == set(
        cdc.MODALITE_ACCES.values()
    )
    assert record.entries.count() == len(routes) + 1
    assert set(record.entries.values_list("outcome", flat=True)) == {EntryOutcome.PENDING}
    assert not Certificate.objects.filter(reported_to_passport_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="declaration.flux_created")
    assert event.details["count"] == len(routes) + 1
    # Nothing left: a second flux is refused, naming why.
    with pytest.raises(DomainError, match="Aucune certification à déclarer"):
        services.flux_create(branch=cdc_branch, by=cast.staff_a)


def test_a_missing_identity_blocks_only_its_own_award(cast: Any, cdc_branch: Any) -> None:
    ready = awarded(cast)
    blocked = awarded(cast, sex="", birth_insee_code="")

    items = {item.certificate.pk: item for item in selectors.candidacies(cdc_branch)}
    assert items[ready.pk].reasons == []
    (reason,) = items[blocked.pk].reasons
    assert reason.startswith("Identité à compléter")
    assert "sexe" in reason and "code INSEE ou postal" in reason

    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)

    assert list(record.entries.values_list("certificate_id", flat=True)) == [ready.pk]
    blocked.refresh_from_db()
    assert blocked.reported_to_passport_at is None
    assert AuditEvent.objects.get(action="declaration.flux_created").details["left_out"] == 1


def test_when_every_award_is_blocked_no_flux_is_made(cast: Any, cdc_branch: Any) -> None:
    blocked = awarded(cast, birth_country_code="")
    with pytest.raises(services.FluxBlocked) as refusal:
        services.flux_create(branch=cdc_branch, by=cast.staff_a)
    (item,) = refusal.value.candidacies
    assert item.certificate == blocked
    assert "code du pays de naissance" in item.reasons[0]
    assert not DeclarationEntry.objects.exists()


def test_the_branch_needs_its_cdc_identifiers(cast: Any) -> None:
    awarded(cast)
    with pytest.raises(DomainError, match="idClient"):
        services.flux_create(branch=cast.branch_a, by=cast.staff_a)


def test_another_branch_cannot_declare(cast: Any, cdc_branch: Any) -> None:
    awarded(cast)
    with pytest.raises(PermissionDenied):
        services.flux_create(branch=cdc_branch, by=cast.staff_b)
    assert not DeclarationEntry.objects.exists()


def test_partial_validations_are_not_declared(cast: Any, cdc_branch: Any) -> None:
    certificate = awarded(cast)
    Certificate.objects.filter(pk=certificate.pk).update(kind="partial")
    assert selectors.candidacies(cdc_branch) == []


def test_the_acknowledgement_sends_rejected_awards_back(cast: Any, cdc_branch: Any) -> None:
    kept, refused = awarded(cast), awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    entry = record.entries.get(certificate=refused)

    with pytest.raises(DomainError, match="motif"):
        services.flux_acknowledge(flux=record, by=cast.staff_a, rejected={entry.pk: " "})
    with pytest.raises(PermissionDenied):
        services.flux_acknowledge(flux=record, by=cast.staff_b, rejected={})

    services.flux_acknowledge(
        flux=record, by=cast.staff_a, rejected={entry.pk: "Code commune inconnu"}
    )

    record.refresh_from_db()
    assert record.status == FluxStatus.ACKNOWLEDGED
    assert record.acknowledged_by == cast.staff_a
    outcomes = dict(record.entries.values_list("certificate_id", "outcome"))
    assert outcomes == {kept.pk: EntryOutcome.ACCEPTED, refused.pk: EntryOutcome.REJECTED}
    refused.refresh_from_db()
    kept.refresh_from_db()
    assert refused.reported_to_passport_at is None
    assert kept.reported_to_passport_at is not None
    (item,) = selectors.candidacies(cdc_branch)
    assert item.certificate == refused
    assert item.rejected_before == ["Code commune inconnu"]
    # Once only.
    with pytest.raises(DomainError, match="déjà enregistré"):
        services.flux_acknowledge(flux=record, by=cast.staff_a, rejected={})
    # The rejected award goes into the next flux, under the same technical id.
    second = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    assert second.entries.get().id_technique == refused.number


def test_an_entry_of_another_flux_cannot_be_rejected(cast: Any, cdc_branch: Any) -> None:
    awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    with pytest.raises(DomainError):
        services.flux_acknowledge(flux=record, by=cast.staff_a, rejected={10**9: "x"})


def test_a_reissue_keeps_the_technical_id_of_the_first_certificate(
    cast: Any, cdc_branch: Any
) -> None:
    original = awarded(cast)
    services.flux_create(branch=cdc_branch, by=cast.staff_a)
    replacement = certificate_services.certificate_reissue(
        certificate=original, by=cast.staff_a, reason="Nom corrigé"
    )
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    entry = record.entries.get()
    assert entry.certificate == replacement
    assert entry.id_technique == original.number


def test_a_revocation_after_declaration_calls_for_a_correction(cast: Any, cdc_branch: Any) -> None:
    from candidates import dashboard

    certificate = awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    entry = record.entries.get()
    with pytest.raises(DomainError, match="révoquée"):
        services.correction_record(entry=entry, by=cast.staff_a, note="x")
    certificate_services.certificate_revoke(
        certificate=certificate, reason="Fraude", by=cast.staff_a
    )
    assert list(selectors.revoked_after_declaration(cdc_branch)) == [entry]
    assert list(dashboard.corrections_due(cdc_branch)) == [certificate]
    with pytest.raises(PermissionDenied):
        services.correction_record(entry=entry, by=cast.staff_b, note="x")

    services.correction_record(entry=entry, by=cast.staff_a, note="Retrait fait sur le portail")

    assert list(selectors.revoked_after_declaration(cdc_branch)) == []
    assert list(dashboard.corrections_due(cdc_branch)) == []
    assert AuditEvent.objects.filter(action="declaration.corrected").count() == 1
    with pytest.raises(DomainError, match="déjà"):
        services.correction_record(entry=entry, by=cast.staff_a, note="encore")


def test_fluxes_and_entries_are_never_deleted(cast: Any, cdc_branch: Any) -> None:
    from django.db.models import ProtectedError

    awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    with pytest.raises(ProtectedError):
        record.delete()
    with pytest.raises(ProtectedError):
        record.entries.all().delete()


def test_the_command_produces_the_flux(cast: Any, cdc_branch: Any, tmp_path: Any) -> None:
    certificate = awarded(cast)
    out = StringIO()
    target = tmp_path / "flux.xml"
    call_command("cdc_flux", branch="alpha", by=cast.staff_a.email, output=str(target), stdout=out)
    assert "1 award(s)" in out.getvalue()
    assert cdc.errors(target.read_bytes()) == []
    assert certificate.number.encode() in target.read_bytes()
    # Nothing left to declare, and a stranger may not.
    with pytest.raises(CommandError, match="Aucune certification"):
        call_command("cdc_flux", branch="alpha", by=cast.staff_a.email, stdout=out)
    with pytest.raises(PermissionDenied):
        call_command("cdc_flux", branch="alpha", by=cast.staff_b.email, stdout=out)


def test_the_command_names_the_blocked_awards(cast: Any, cdc_branch: Any) -> None:
    certificate = awarded(cast, sex="")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("cdc_flux", branch="alpha", by=cast.staff_a.email, stderr=err)
    assert certificate.number in err.getvalue()
    assert "sexe" in err.getvalue()


def test_without_the_schema_no_flux_and_a_clear_refusal(
    cast: Any, cdc_branch: Any, settings: Any
) -> None:
    from declarations.apps import schema_check

    awarded(cast)
    assert schema_check() == []
    settings.CDC_XSD_PATH = "/nonexistent/cpf.xsd"
    with pytest.raises(DomainError, match="CDC_XSD_PATH"):
        services.flux_create(branch=cdc_branch, by=cast.staff_a)
    assert not DeclarationEntry.objects.exists()
    (warning,) = schema_check()
    assert warning.id == "declarations.W001"
