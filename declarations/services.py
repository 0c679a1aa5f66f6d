"""The declarations room's writes: produce a flux, record the Caisse's acknowledgement,
record a corrective declaration. `Certificate.reported_to_passport_at` is written here
only: set when an award goes into a flux, cleared when the Caisse rejects it."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from branches.access import require_branch_staff
from branches.models import Branch
from certifications.models import Certificate, CertificateEvent, CertificateStatus
from core.errors import DomainError

from . import flux as cdc
from . import selectors
from .models import DeclarationEntry, DeclarationFlux, EntryOutcome, FluxStatus


class FluxBlocked(DomainError):
    """No flux can be produced; `candidacies` lists every award and what blocks it."""

    def __init__(self, message: str, *, candidacies: list[selectors.Candidacy]) -> None:
        super().__init__(message, code="flux_blocked")
        self.candidacies = candidacies


def _reference(branch: Branch, at: Any) -> str:
    # idFlux: 1-50 characters, unique per file.
    return f"{branch.prefix}-CDC-{at:%Y%m%d%H%M%S}-{secrets.token_hex(3).upper()}"


def _groups(items: list[selectors.Candidacy]) -> list[cdc.CertificationGroup]:
    groups: OrderedDict[tuple[str, str], cdc.CertificationGroup] = OrderedDict()
    for item in items:
        assert item.registration is not None
        kind, code = item.registration
        group = groups.setdefault((kind, code), cdc.CertificationGroup(kind=kind, code=code))
        group.awards.append(selectors.award_of(item))
    return list(groups.values())


@transaction.atomic
def flux_create(*, branch: Branch, by: Any) -> DeclarationFlux:
    """Declare every declarable award of the branch in one flux, valid against the schema.

    An award that cannot be declared (identity incomplete, no RNCP/RS code) stays out and
    waits; one the schema refuses on its own is left out too, with the schema's words. If
    nothing is left, `FluxBlocked` names each award and why; an invalid flux is never
    stored."""
    require_branch_staff(by, branch.pk)
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    problems = selectors.branch_problems(branch)
    if problems:
        raise DomainError(" ".join(problems), code="cdc_identifiers_missing")
    try:
        cdc.schema()
    except cdc.SchemaMissing:
        raise DomainError(
            _(
                "Le schéma XML de la Caisse des Dépôts est introuvable sur le serveur : sans lui, "
                "aucun flux n'est produit. L'exploitant doit renseigner CDC_XSD_PATH."
            ),
            code="cdc_schema_missing",
        ) from None
    items = selectors.candidacies(branch, lock=True)
    now = timezone.localtime()
    reference = _reference(branch, now)

    def document(chosen: list[selectors.Candidacy]) -> bytes:
        return cdc.build(
            reference=reference,
            at=now,
            client_id=branch.cdc_client_id,
            contract_id=branch.cdc_contract_id,
            groups=_groups(chosen),
        )

    ready = [item for item in items if not item.blocked]
    content = document(ready) if ready else b""
    if ready and cdc.errors(content):
        # Find which awards the schema refuses, each on its own.
        for item in ready:
            if found := cdc.errors(document([item])):
                item.reasons.append(
                    _("Refusée par le schéma de la Caisse : %(error)s") % {"error": found[0]}
                )
        ready = [item for item in ready if not item.blocked]
        content = document(ready) if ready else b""
        if ready and (found := cdc.errors(content)):
            raise DomainError(
                _("Le flux ne respecte pas le schéma de la Caisse : %(error)s")
                % {"error": found[0]},
                code="flux_invalid",
            )
    if not ready:
        raise FluxBlocked(
            _("Aucune certification ne peut être déclarée pour l'instant.")
            if items
            else _("Aucune certification à déclarer."),
            candidacies=items,
        )
    record = DeclarationFlux(
        reference=reference,
        branch=branch,
        created_at=now,
        created_by=by,
        sha256=hashlib.sha256(content).hexdigest(),
    )
    record.file.save(f"{reference}.xml", ContentFile(content), save=False)
    record.save()
    DeclarationEntry.objects.bulk_create(
        [
            DeclarationEntry(
                flux=record,
                certificate=item.certificate,
                id_technique=selectors.id_technique(item.certificate),
            )
            for item in ready
        ]
    )
    ids = [item.certificate.pk for item in ready]
    Certificate.objects.filter(pk__in=ids).update(reported_to_passport_at=now)
    CertificateEvent.objects.bulk_create(
        [
            CertificateEvent(certificate_id=pk, action="reported", by=by, comment=reference)
            for pk in ids
        ]
    )
    audit_record(
        "declaration.flux_created",
        obj=record,
        branch=branch.pk,
        actor=by,
        details={
            "reference": reference,
            "count": len(ids),
            "numbers": [item.certificate.number for item in ready][:500],
            "left_out": len(items) - len(ready),
        },
    )
    return record


@transaction.atomic
def flux_acknowledge(
    *, flux: DeclarationFlux, by: Any, rejected: dict[int, str]
) -> DeclarationFlux:
    """Record the Caisse's acknowledgement: the entries in `rejected` (entry id → reason
    given by the Caisse) were rejected and go back to "to declare", the others accepted."""
    require_branch_staff(by, flux.branch_id)
    locked = DeclarationFlux.objects.select_for_update().get(pk=flux.pk)
    if locked.status != FluxStatus.SENT:
        raise DomainError(
            _("L'accusé de réception de ce flux est déjà enregistré."), code="already_acknowledged"
        )
    entries = list(locked.entries.select_for_update().order_by("pk"))
    known = {entry.pk for entry in entries}
    if set(rejected) - known:
        raise DomainError(_("Cette certification n'est pas dans ce flux."), code="unknown_entry")
    for reason in rejected.values():
        if not reason.strip():
            raise DomainError(
                _("Donnez le motif de chaque rejet, tel que la Caisse l'indique."),
                code="reason_required",
            )
    now = timezone.now()
    for entry in entries:
        if entry.pk in rejected:
            entry.outcome = EntryOutcome.REJECTED
            entry.rejection_reason = rejected[entry.pk].strip()
        else:
            entry.outcome = EntryOutcome.ACCEPTED
    DeclarationEntry.objects.bulk_update(entries, ["outcome", "rejection_reason"])
    back = [entry.certificate_id for entry in entries if entry.pk in rejected]
    Certificate.objects.filter(pk__in=back).update(reported_to_passport_at=None)
    CertificateEvent.objects.bulk_create(
        [
            CertificateEvent(
                certificate_id=entry.certificate_id,
                action="declaration_rejected",
                by=by,
                comment=entry.rejection_reason,
            )
            for entry in entries
            if entry.pk in rejected
        ]
    )
    locked.status = FluxStatus.ACKNOWLEDGED
    locked.acknowledged_at = now
    locked.acknowledged_by = by
    locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    audit_record(
        "declaration.acknowledged",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={
            "reference": locked.reference,
            "accepted": len(entries) - len(back),
            "rejected": len(back),
        },
    )
    return locked


@transaction.atomic
def correction_record(*, entry: DeclarationEntry, by: Any, note: str) -> DeclarationEntry:
    """Record that the declaration of a certificate revoked after it was corrected at the
    Caisse (on its portal), with what was done."""
    require_branch_staff(by, entry.flux.branch_id)
    locked = (
        DeclarationEntry.objects.select_for_update()
        .select_related("certificate", "flux")
        .get(pk=entry.pk)
    )
    if locked.certificate.status != CertificateStatus.REVOKED or locked.outcome not in (
        EntryOutcome.PENDING,
        EntryOutcome.ACCEPTED,
    ):
        raise DomainError(
            _("Seule une certification déclarée puis révoquée appelle une déclaration corrective."),
            code="no_correction_due",
        )
    if locked.correction_recorded_at is not None:
        raise DomainError(_("La correction est déjà enregistrée."), code="already_corrected")
    if not note.strip():
        raise DomainError(_("Décrivez la correction faite auprès de la Caisse."), code="note")
    locked.correction_recorded_at = timezone.now()
    locked.correction_recorded_by = by
    locked.correction_note = note.strip()
    locked.save(
        update_fields=["correction_recorded_at", "correction_recorded_by", "correction_note"]
    )
    audit_record(
        "declaration.corrected",
        obj=locked.flux,
        branch=locked.flux.branch_id,
        actor=by,
        details={"number": locked.certificate.number, "reference": locked.flux.reference},
    )
    return locked
