"""The accrochage flux as XML (cpf-accrochage 1.1.2), built with lxml and checked against
the Caisse's schema (`settings.CDC_XSD_PATH`) before anything is offered.

`MODALITE_ACCES` is the one table from a dossier's access route to the schema's
`modaliteAcces` (docs/cdc.md says why each).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

from candidates.models import AccessRoute

NS = "urn:cdc:cpf:pc5:schema:1.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"cpf": NS, "xsi": XSI}

MODALITE_ACCES: dict[str, str] = {
    AccessRoute.VAE: "VAE",
    AccessRoute.PROFESSIONALISATION: "FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION",
    AccessRoute.CONTINUING: "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    AccessRoute.PRO_A: "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    AccessRoute.DIRECT: "CANDIDAT_LIBRE",
}
# The schema's `voieAccessVAE` for the VAE route: the branch runs no "congé VAE" of its own.
VOIE_ACCES_VAE = "VAE_CLASSIQUE"


@dataclass
class Holder:
    birth_name: str
    usage_name: str
    first_names: list[str]
    birth_date: datetime.date
    sex: str
    birth_insee_code: str
    birth_postal_code: str
    birth_commune_label: str
    birth_country_code: str
    birth_country_label: str


@dataclass
class Award:
    """One `passageCertification`."""

    id_technique: str
    proof_url: str
    valid_from: datetime.date
    valid_until: datetime.date | None
    access_route: str
    registered_on: datetime.date | None
    holder: Holder


@dataclass
class CertificationGroup:
    kind: str  # "RNCP" or "RS"
    code: str
    awards: list[Award] = field(default_factory=list)


class SchemaMissing(ImproperlyConfigured):
    pass


@lru_cache(maxsize=4)
def _schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


def schema() -> etree.XMLSchema:
    """The Caisse's schema, read once per process from `CDC_XSD_PATH`."""
    path = settings.CDC_XSD_PATH
    if not path or not Path(path).is_file():
        raise SchemaMissing(
            "The CDC schema (cpf-accrochage-1.1.2.xsd) was not found: set CDC_XSD_PATH to the "
            f"copy the certifier received (now {path!r})."
        )
    return _schema(str(path))


def _el(parent: Any, name: str, text: Any = None) -> Any:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _nil(parent: Any, name: str) -> Any:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    element.set(f"{{{XSI}}}nil", "true")
    return element


def _text_or_nil(parent: Any, name: str, value: Any) -> None:
    if value in (None, ""):
        _nil(parent, name)
    else:
        _el(parent, name, value)


def _award(parent: Any, award: Award) -> None:
    passage = _el(parent, "passageCertification")
    _el(passage, "idTechnique", award.id_technique)
    _el(passage, "urlPreuve", award.proof_url)
    _el(passage, "obtentionCertification", "PAR_ADMISSION")
    _el(passage, "donneeCertifiee", "true")
    _el(passage, "dateDebutValidite", award.valid_from.isoformat())
    _text_or_nil(
        passage, "dateFinValidite", award.valid_until.isoformat() if award.valid_until else None
    )
    _el(passage, "presenceNiveauLangueEuro", "false")
    _el(passage, "presenceNiveauNumeriqueEuro", "false")
    _nil(passage, "scoring")
    _nil(passage, "mentionValidee")
    terms = _el(passage, "modalitesInscription")
    _el(terms, "modaliteAcces", MODALITE_ACCES[award.access_route])
    if award.access_route == AccessRoute.VAE:
        _el(terms, "voieAccessVAE", VOIE_ACCES_VAE)
    if award.registered_on is not None:
        _el(terms, "dateInscription", award.registered_on.isoformat())
    holder = award.holder
    person = _el(_el(passage, "identificationTitulaire"), "titulaire")
    _el(person, "nomNaissance", holder.birth_name)
    _text_or_nil(person, "nomUsage", holder.usage_name)
    for index, first_name in enumerate(holder.first_names[:3], start=1):
        _el(person, f"prenom{index}", first_name)
    _el(person, "anneeNaissance", holder.birth_date.year)
    _el(person, "moisNaissance", holder.birth_date.month)
    _el(person, "jourNaissance", holder.birth_date.day)
    _el(person, "sexe", holder.sex)
    commune = _el(person, "codeCommuneNaissance")
    if holder.birth_insee_code:
        _el(_el(commune, "codeInseeNaissance"), "codeInsee", holder.birth_insee_code)
    else:
        _el(_el(commune, "codePostalNaissance"), "codePostal", holder.birth_postal_code)
    if holder.birth_commune_label:
        _el(person, "libelleCommuneNaissance", holder.birth_commune_label[:60])
    _el(person, "codePaysNaissance", holder.birth_country_code)
    _el(person, "libellePaysNaissance", holder.birth_country_label)


def build(
    *,
    reference: str,
    at: datetime.datetime,
    client_id: str,
    contract_id: str,
    groups: list[CertificationGroup],
) -> bytes:
    """The flux as UTF-8 bytes (not yet checked: see `errors`)."""
    root = etree.Element(f"{{{NS}}}flux", nsmap=NSMAP)
    _el(root, "idFlux", reference)
    _el(root, "horodatage", at.isoformat(timespec="seconds"))
    emitter = _el(root, "emetteur")
    _el(emitter, "idClient", client_id)
    certifier = _el(_el(emitter, "certificateurs"), "certificateur")
    _el(certifier, "idClient", client_id)
    _el(certifier, "idContrat", contract_id)
    certifications = _el(certifier, "certifications")
    for group in groups:
        certification = _el(certifications, "certification")
        _el(certification, "type", group.kind)
        _el(certification, "code", group.code)
        _el(certification, "natureDeposant", "CERTIFICATEUR")
        passages = _el(certification, "passageCertifications")
        for award in group.awards:
            _award(passages, award)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def errors(document: bytes) -> list[str]:
    """What the schema says is wrong with `document`; empty when it is valid."""
    checker = schema()
    tree = etree.fromstring(document)  # our own bytes, just built
    if checker.validate(tree):
        return []
    return [f"ligne {error.line} : {error.message}" for error in checker.error_log]
