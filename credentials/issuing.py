"""Turn a certificate's snapshot into an Open Badges 3.0 credential (unsigned): pure functions.

Only the snapshot taken at issue (decision 0003) is read, never live rows, so a credential
made again later says the same thing. Document content is French, like the PDF's.
"""

from __future__ import annotations

import datetime
import functools
import json
import uuid
from typing import Any
from urllib.parse import urlencode

import jsonschema_rs

from .jsonld import CREDENTIALS_V2, OB_V3P0, VENDOR_DIR

SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
_URN = uuid.UUID("6f1f2c3e-3b64-5a43-9f39-6f0b9c1d2e7a")  # namespace of this project's URNs

# France Compétences' public record of a registration, by repertory.
_REPERTORY_URLS = {
    "rncp": "https://www.francecompetences.fr/recherche/rncp/{number}/",
    "rs": "https://www.francecompetences.fr/recherche/rs/{number}/",
}


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_URN, ':'.join(str(p) for p in parts))}"


def _alignment(registration: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not registration:
        return []
    code = str(registration.get("code") or "")
    repertory = "rs" if code.upper().startswith("RS") else "rncp"
    number = "".join(ch for ch in code if ch.isdigit())
    return [
        {
            "type": ["Alignment"],
            "targetName": f"{registration.get('kind') or repertory.upper()} {code}".strip(),
            "targetCode": code,
            "targetFramework": "France Compétences",
            "targetType": "ceterms:Credential",
            "targetUrl": _REPERTORY_URLS[repertory].format(number=number),
        }
    ]


def _results(cqpi: dict[str, Any], blocs: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """What was validated: one result description and result per complete bloc and capacity."""
    descriptions: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for bloc in blocs:
        items = [("Bloc", bloc)] if bloc.get("complete") else []
        items += [("Capacité", capacity) for capacity in bloc.get("capacities") or []]
        for label, item in items:
            identifier = _urn("cqpi", cqpi.get("code"), cqpi.get("version"), label, item["code"])
            descriptions.append(
                {
                    "id": identifier,
                    "type": ["ResultDescription"],
                    "name": f"{label} {item['code']} — {item['title']}",
                    "resultType": "Status",
                }
            )
            results.append(
                {"type": ["Result"], "resultDescription": identifier, "status": "Completed"}
            )
    return descriptions, results


def holder_name(snapshot: dict[str, Any]) -> str:
    """The holder's name as the document prints it: the snapshot's `holder.name` ("Prénom
    NOM", core.text.person_name); a snapshot made before that form existed has none, and its
    document prints the names as typed (decision 0003)."""
    holder = snapshot.get("holder") or {}
    return str(
        holder.get("name") or f"{holder.get('first_name', '')} {holder.get('last_name', '')}"
    ).strip()


def _subject_identifiers(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    name = holder_name(snapshot)
    identifiers: list[dict[str, Any]] = []
    recipient = snapshot.get("recipient") or {}
    if recipient.get("identity_hash"):
        # OB 3.0's recommendation: a salted hash of the email, never the address itself.
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": recipient["identity_hash"],
                "salt": recipient.get("salt", ""),
            }
        )
    identifiers.append(
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}
    )
    return identifiers


def build_credential(
    *,
    snapshot: dict[str, Any],
    credential_id: str,
    issuer_id: str,
    status_entry: dict[str, Any] | None,
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of a certificate or partial attestation."""
    cqpi = snapshot.get("cqpi") or {}
    branch = snapshot.get("branch") or {}
    partial = snapshot.get("kind") == "partial"
    kind = "Attestation de validation partielle" if partial else "Certificat"
    title = cqpi.get("title", "")
    level = ", ".join(
        part
        for part in (
            f"niveau {cqpi['level']}" if cqpi.get("level") else "",
            f"niveau CEC {cqpi['eqf_level']}" if cqpi.get("eqf_level") else "",
        )
        if part
    )
    description = cqpi.get("description") or (
        f"Certificat de qualification professionnelle interbranches « {title} », "
        f"version {cqpi.get('version', '')} du référentiel{f', {level}' if level else ''}."
    )
    descriptions, results = _results(cqpi, snapshot.get("blocs") or [])
    achievement: dict[str, Any] = {
        "id": _urn("cqpi", cqpi.get("code"), cqpi.get("version")),
        "type": ["Achievement"],
        "achievementType": "Achievement" if partial else "Certification",
        "name": title,
        "description": description,
        "criteria": {
            "narrative": (
                "Évaluation des capacités du référentiel par des évaluateurs habilités, puis "
                "décision du jury paritaire de la branche "
                f"{branch.get('name', '')}, sur le référentiel version {cqpi.get('version', '')}."
            )
        },
        "humanCode": str(cqpi.get("code", "")),
        "creator": {"id": issuer_id, "type": ["Profile"], "name": branch.get("name", "")},
    }
    alignment = _alignment(snapshot.get("registration"))
    if alignment:
        achievement["alignment"] = alignment
    if descriptions:
        achievement["resultDescription"] = descriptions
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": _subject_identifiers(snapshot),
        "achievement": achievement,
    }
    if results:
        subject["result"] = results
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_V3P0],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{kind} n° {snapshot.get('number', '')} — {title}",
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": snapshot.get("certifier") or f"CPNE de la branche {branch.get('name', '')}",
        },
        "validFrom": f"{snapshot['issued_on']}T00:00:00Z",
        "credentialSubject": subject,
        "credentialSchema": [{"id": SCHEMA_ID, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if snapshot.get("valid_until"):
        credential["validUntil"] = f"{snapshot['valid_until']}T23:59:59Z"
    if status_entry:
        credential["credentialStatus"] = status_entry
    return credential


def status_entry(*, list_url: str, index: int) -> dict[str, Any]:
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def qr_claims(snapshot: dict[str, Any], *, issuer_id: str, status_index: int) -> dict[str, Any]:
    """What the printed QR code signs: enough to compare with the paper (the number's prefix
    tells a certificate from an attestation), and where to look whether it was revoked
    (`idx`, its position in the branch's status lists). Short keys: the code is printed."""
    claims = {
        "iss": issuer_id,
        "num": snapshot.get("number", ""),
        "sub": holder_name(snapshot),
        "cqpi": (snapshot.get("cqpi") or {}).get("title", ""),
        "iat": snapshot.get("issued_on", ""),
        "idx": status_index,
    }
    if snapshot.get("valid_until"):
        claims["exp"] = snapshot["valid_until"]
    return claims


LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"


def linkedin_add_url(
    *,
    name: str,
    organization: str,
    issued_on: datetime.date,
    valid_until: datetime.date | None,
    number: str,
    url: str,
) -> str:
    """LinkedIn's public "add a certification to your profile" link, filled in."""
    params: dict[str, Any] = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization,
        "issueYear": issued_on.year,
        "issueMonth": issued_on.month,
        "certId": number,
        "certUrl": url,
    }
    if valid_until:
        params.update(expirationYear=valid_until.year, expirationMonth=valid_until.month)
    return f"{LINKEDIN_ADD_URL}?{urlencode(params)}"


@functools.cache
def _validator() -> Any:
    """The vendored OB 3.0 schema (draft 2019-09), compiled once per process by jsonschema-rs:
    0.01 ms a credential where the pure Python validator took 2 ms. Offline: a `$ref` to
    anything outside the file is refused, never fetched (the schema has none today)."""
    schema = json.loads(
        (VENDOR_DIR / "schema" / "ob_v3p0_achievementcredential_schema.json").read_text("utf-8")
    )
    jsonschema_rs.meta.validate(schema)
    return jsonschema_rs.validator_for(schema, offline=True)


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """What the vendored OB 3.0 JSON Schema finds wrong with a credential (empty: valid)."""
    return [
        f"{'/'.join(str(p) for p in error.instance_path)}: {error.message}"
        for error in _validator().iter_errors(credential)
    ]
