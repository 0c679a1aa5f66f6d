"""What a branch has to declare: each award with the reasons that block it, if any."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from branches.models import Branch
from candidates.dashboard import undeclared_certificates
from candidates.identity import identity_gaps
from certifications.models import Certificate, Registration, RegistrationKind
from certifications.passport import declaration_deadline

from . import flux as cdc
from .models import DeclarationEntry, EntryOutcome

SCHEMA_KIND: dict[str, str] = {RegistrationKind.RNCP: "RNCP", RegistrationKind.RS: "RS"}


@dataclass
class Candidacy:
    """An award waiting for its declaration: declarable when `reasons` is empty."""

    certificate: Certificate
    deadline: datetime.date
    reasons: list[str] = field(default_factory=list)
    registration: tuple[str, str] | None = None  # (schema type, code)
    rejected_before: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)


def branch_problems(branch: Branch) -> list[str]:
    """What stops any flux of the branch (its identifiers at the Caisse)."""
    problems = []
    if len(branch.cdc_client_id or "") != 8:
        problems.append(
            _(
                "L'identifiant client CDC (idClient, 8 caractères) de la branche n'est pas "
                "renseigné : paramètres de la branche."
            )
        )
    if not branch.cdc_contract_id:
        problems.append(
            _(
                "Le numéro de contrat CDC (idContrat) de la branche n'est pas renseigné : "
                "paramètres de la branche."
            )
        )
    return problems


def id_technique(certificate: Certificate) -> str:
    """The award's stable id at the Caisse: the number of its first certificate, so that a
    reissue declares the same passage again (an update, not a second award)."""
    while certificate.reissue_of_id is not None:
        certificate = certificate.reissue_of  # type: ignore[assignment]
    return certificate.number


def candidacies(branch: Branch, *, lock: bool = False) -> list[Candidacy]:
    """The branch's undeclared certificates, oldest first, each with what blocks it."""
    queryset = (
        undeclared_certificates(branch)
        .select_related("dossier__candidate", "reissue_of")
        .prefetch_related(
            Prefetch(
                "cdc_entries",
                queryset=DeclarationEntry.objects.filter(outcome=EntryOutcome.REJECTED),
                to_attr="rejections",
            )
        )
        .order_by("issued_on", "pk")
    )
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    certificates = list(queryset)
    codes = {
        (c.snapshot.get("registration") or {}).get("code")
        for c in certificates
        if c.snapshot.get("registration")
    }
    kinds = dict(Registration.objects.filter(code__in=codes).values_list("code", "kind"))
    out = []
    for certificate in certificates:
        item = Candidacy(
            certificate=certificate,
            deadline=declaration_deadline(certificate.issued_on),
            rejected_before=[e.rejection_reason for e in getattr(certificate, "rejections", [])],
        )
        registration = certificate.snapshot.get("registration") or {}
        code = registration.get("code") or ""
        if not code or code not in kinds:
            item.reasons.append(
                _(
                    "Le CQPI n'avait pas d'enregistrement RNCP ou RS à la date de la décision : "
                    "rien à déclarer à la Caisse des Dépôts sans code."
                )
            )
        else:
            item.registration = (SCHEMA_KIND[kinds[code]], code)
        if certificate.dossier.access_route not in cdc.MODALITE_ACCES:
            item.reasons.append(_("Voie d'accès sans correspondance dans le schéma."))
        item.reasons.extend(identity_gaps(certificate.dossier.candidate))
        out.append(item)
    return out


def award_of(item: Candidacy) -> cdc.Award:
    certificate = item.certificate
    candidate = certificate.dossier.candidate
    return cdc.Award(
        id_technique=id_technique(certificate),
        proof_url=certificate.verification_url,
        valid_from=certificate.issued_on,
        valid_until=certificate.valid_until,
        access_route=certificate.dossier.access_route,
        registered_on=certificate.dossier.opened_on,
        holder=cdc.Holder(
            birth_name=candidate.last_name,
            usage_name=candidate.usage_name,
            first_names=[
                name
                for name in (candidate.first_name, candidate.first_name_2, candidate.first_name_3)
                if name
            ],
            birth_date=candidate.birth_date,
            sex=candidate.sex,
            birth_insee_code=candidate.birth_insee_code,
            birth_postal_code=candidate.birth_postal_code,
            birth_commune_label=candidate.birth_place,
            birth_country_code=candidate.birth_country_code,
            birth_country_label=candidate.birth_country_label,
        ),
    )


def revoked_after_declaration(branch: Branch) -> Any:
    """Entries of certificates revoked after their declaration, their correction not yet
    recorded."""
    return (
        DeclarationEntry.objects.filter(
            flux__branch=branch,
            outcome__in=(EntryOutcome.PENDING, EntryOutcome.ACCEPTED),
            certificate__status="revoked",
            correction_recorded_at__isnull=True,
        )
        .select_related("certificate", "flux")
        .order_by("certificate__revoked_at", "pk")
    )
