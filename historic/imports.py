"""Import of certificates and partial attestations issued before the platform, all or nothing.

The dossier import's machinery (`candidates.imports`) reads the file (CSV or XLSX, upload
checks, headers in French or as codes), keeps the signed preview between upload and
confirmation, and writes the template; this module brings its own columns and row checks.
The rows are written by `historic.services.historic_import`, one audit event per file.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.access import require_branch_staff
from branches.models import Branch
from candidates import identity
from candidates import imports as tabular
from candidates.imports import RowError
from certifications.models import (
    Capacity,
    CertificateKind,
    Referentiel,
    ReferentielVersion,
)
from core.errors import DomainError
from core.text import format_characters, person_name

from .models import HistoricCertificate, number_key

_SALT = "historic.imports"

COLUMNS = (
    "number",
    "kind",
    "last_name",
    "first_name",
    "birth_date",
    "birth_place",
    "cqpi_code",
    "version",
    "issued_on",
    "access_route",
    "first_certification",
    "capacities",
    "signatory",
    *tabular.IDENTITY_COLUMNS,
)
REQUIRED = ("number", "last_name", "first_name", "birth_date", "cqpi_code", "issued_on")

HEADERS: dict[str, Any] = {
    "number": gettext_lazy("Numéro"),
    "kind": gettext_lazy("Nature"),
    "cqpi_code": gettext_lazy("Code CQPI"),
    "version": gettext_lazy("Version"),
    "issued_on": gettext_lazy("Date de délivrance"),
    "capacities": gettext_lazy("Capacités validées"),
    "signatory": gettext_lazy("Signataire"),
    # The holder's identity and the dossier's traits, headed as in the dossier import.
    **{
        name: tabular.HEADERS[name]
        for name in (
            "last_name",
            "first_name",
            "birth_date",
            "birth_place",
            "access_route",
            "first_certification",
            *tabular.IDENTITY_COLUMNS,
        )
    },
}

MAX_CAPACITIES = 60
EARLIEST_ISSUE = datetime.date(2000, 1, 1)  # the figures start there too
YOUNGEST_HOLDER = 14  # years of age at issue
_BEFORE_PLATFORM = {"", "anterieure", "anterieure_a_la_plateforme", "avant_la_plateforme"}
_VERSION = re.compile(r"^(?:v|version_?)?(\d{1,4})$")
_CAPACITY_SEPARATORS = re.compile(r"[,;|\n]+")


def header(column: str) -> str:
    return str(HEADERS[column])


def _kinds() -> dict[str, str]:
    kinds: dict[str, str] = {
        "": CertificateKind.CERTIFICATE,
        "certificat": CertificateKind.CERTIFICATE,
        "attestation": CertificateKind.PARTIAL,
        "partielle": CertificateKind.PARTIAL,
        "validation_partielle": CertificateKind.PARTIAL,
    }
    for value, label in CertificateKind.choices:
        kinds[tabular._normalise_header(value)] = value
        kinds[tabular._normalise_header(str(label))] = value
    return kinds


def column_help() -> list[tuple[str, str, str]]:
    """(column header, what it holds, example): the upload page, the template, the docs."""
    own = [
        ("number", _("Numéro du certificat tel qu'imprimé (obligatoire)"), "MET-2008-00042"),
        (
            "kind",
            _("Nature : certificat, ou attestation de validation partielle (défaut : certificat)"),
            "certificat",
        ),
        ("last_name", _("Nom de naissance du titulaire (obligatoire)"), "Durand"),
        ("first_name", _("Prénom (obligatoire)"), "Léa"),
        ("birth_date", _("Date de naissance, JJ/MM/AAAA (obligatoire)"), "14/03/1980"),
        ("birth_place", _("Lieu de naissance (facultatif)"), "Lyon"),
        ("cqpi_code", _("Code du CQPI sur la plateforme (obligatoire)"), ""),
        (
            "version",
            _(
                "Numéro de version du référentiel sur la plateforme, ou vide (ou « antérieure ») "
                "pour une version antérieure à la plateforme"
            ),
            "",
        ),
        ("issued_on", _("Date de délivrance, JJ/MM/AAAA (obligatoire)"), "27/06/2008"),
        (
            "access_route",
            _("Voie d'accès, si elle est connue : code ou libellé, comme pour les dossiers"),
            "vae",
        ),
        ("first_certification", _("Première certification : oui, non ou vide si inconnu"), ""),
        (
            "capacities",
            _(
                "Capacités validées, si elles sont connues : codes séparés par des virgules "
                "(vérifiés contre la version quand elle est donnée)"
            ),
            "",
        ),
        ("signatory", _("Signataire, s'il est connu"), ""),
    ]
    dossier_help = {column: (text, example) for column, text, example in tabular._column_help()}
    rows = [(header(c), text, example) for c, text, example in own]
    rows += [(header(c), *dossier_help[c]) for c in tabular.IDENTITY_COLUMNS]
    return rows


@dataclass
class CleanRow:
    line: int
    number: str
    kind: str
    referentiel_id: int
    version_id: int | None
    cqpi_title: str
    issued_on: str  # ISO, so that the preview survives JSON
    last_name: str
    first_name: str
    birth_date: str
    birth_place: str
    access_route: str
    first_certification: bool | None
    capacities: list[str]
    signatory: str
    identity: dict[str, str] = field(default_factory=dict)

    @property
    def issued_on_value(self) -> datetime.date:
        return datetime.date.fromisoformat(self.issued_on)

    @property
    def birth_date_value(self) -> datetime.date:
        return datetime.date.fromisoformat(self.birth_date)

    @property
    def kind_label(self) -> str:
        return str(CertificateKind(self.kind).label)

    @property
    def holder_name(self) -> str:
        return person_name(self.first_name, self.last_name)


@dataclass
class Preview:
    branch_id: int
    user_id: int
    filename: str
    rows: list[CleanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""

    @property
    def is_importable(self) -> bool:
        return bool(self.rows) and not self.errors and not self.file_error


@dataclass
class _Context:
    referentiels: dict[str, Referentiel]
    versions: dict[tuple[int, int], ReferentielVersion]
    capacities: dict[int, set[str]]
    existing: set[str]


def _context(branch: Branch, keys: set[str]) -> _Context:
    referentiels = {r.code.lower(): r for r in Referentiel.objects.all()}
    versions = {(v.referentiel_id, v.number): v for v in ReferentielVersion.objects.all()}
    capacities: dict[int, set[str]] = {}
    for version_id, code in Capacity.objects.values_list("bloc__version_id", "code"):
        capacities.setdefault(version_id, set()).add(code.lower())
    existing = set(
        HistoricCertificate.objects.filter(branch=branch, number_key__in=keys).values_list(
            "number_key", flat=True
        )
    )
    return _Context(referentiels, versions, capacities, existing)


def _date(value: Any, column: str, reasons: list[str]) -> datetime.date | None:
    if value in ("", None):
        return None
    parsed = tabular._parse_date(value)
    if parsed is None:
        reasons.append(
            _("%(column)s impossible : « %(value)s » (attendu JJ/MM/AAAA)")
            % {"column": header(column), "value": value}
        )
    return parsed


def validate_rows(
    rows: list[tuple[int, dict[str, Any]]], *, branch: Branch
) -> tuple[list[CleanRow], list[RowError]]:
    """Every row checked against the file and the database; a row with a problem is never kept."""
    today = timezone.localdate()
    ctx = _context(branch, {number_key(str(row.get("number", ""))) for _line, row in rows})
    routes = tabular._access_routes()
    kinds = _kinds()
    seen: dict[str, int] = {}
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    for line, row in rows:
        reasons: list[str] = []
        value = {k: (v if isinstance(v, datetime.date) else str(v).strip()) for k, v in row.items()}
        text = {k: str(v) for k, v in value.items()}
        for name in REQUIRED:
            if value.get(name) in ("", None):
                reasons.append(_("champ « %(column)s » manquant") % {"column": header(name)})
        number = text.get("number", "")
        key = number_key(number)
        if number and not key:
            reasons.append(_("numéro sans lettre ni chiffre : « %(value)s »") % {"value": number})
        elif len(number) > 60:
            reasons.append(_("champ « %(column)s » trop long") % {"column": header("number")})
        elif key in ctx.existing:
            reasons.append(
                _("numéro déjà importé dans la branche : « %(value)s »") % {"value": number}
            )
        elif key and key in seen:
            reasons.append(
                _("numéro en double dans le fichier (déjà à la ligne %(line)d)")
                % {"line": seen[key]}
            )
        elif key:
            seen[key] = line
        kind = kinds.get(tabular._normalise_header(text.get("kind", "")))
        if kind is None:
            reasons.append(
                _("nature inconnue : « %(value)s » (attendu certificat ou attestation)")
                % {"value": text["kind"]}
            )
        birth_date = _date(value.get("birth_date"), "birth_date", reasons)
        if birth_date is not None and (birth_date >= today or birth_date.year < 1900):
            reasons.append(
                _("date de naissance impossible : %(date)s")
                % {"date": birth_date.strftime("%d/%m/%Y")}
            )
            birth_date = None
        issued_on = _date(value.get("issued_on"), "issued_on", reasons)
        if issued_on is not None:
            if issued_on > today:
                reasons.append(
                    _("date de délivrance dans le futur : %(date)s")
                    % {"date": issued_on.strftime("%d/%m/%Y")}
                )
            elif issued_on < EARLIEST_ISSUE:
                reasons.append(
                    _("date de délivrance antérieure aux CQPI : %(date)s")
                    % {"date": issued_on.strftime("%d/%m/%Y")}
                )
            elif birth_date and issued_on.year - birth_date.year < YOUNGEST_HOLDER:
                reasons.append(
                    _("titulaire âgé de moins de %(age)d ans à la délivrance")
                    % {"age": YOUNGEST_HOLDER}
                )
        for name in ("last_name", "first_name", "birth_place", "signatory"):
            limit = 200 if name == "signatory" else 120
            if len(text.get(name, "")) > limit:
                reasons.append(_("champ « %(column)s » trop long") % {"column": header(name)})
            if codes := format_characters(text.get(name, "")):
                reasons.append(
                    _("champ « %(column)s » : caractère invisible de mise en forme (%(codes)s)")
                    % {"column": header(name), "codes": ", ".join(codes)}
                )
        referentiel = None
        code = text.get("cqpi_code", "").lower()
        if code:
            referentiel = ctx.referentiels.get(code)
            if referentiel is None:
                reasons.append(_("CQPI inconnu : « %(code)s »") % {"code": text["cqpi_code"]})
        version = None
        version_text = tabular._normalise_header(text.get("version", ""))
        if version_text not in _BEFORE_PLATFORM and referentiel is not None:
            match = _VERSION.match(version_text)
            version = ctx.versions.get((referentiel.pk, int(match.group(1)))) if match else None
            if version is None:
                reasons.append(
                    _(
                        "version « %(value)s » inconnue pour ce CQPI (vide : antérieure à la plateforme)"
                    )
                    % {"value": text["version"]}
                )
            elif issued_on is not None and version.effective_from > issued_on:
                reasons.append(
                    _("la version %(number)d n'était pas en vigueur le %(date)s")
                    % {"number": version.number, "date": issued_on.strftime("%d/%m/%Y")}
                )
        route = ""
        if text.get("access_route"):
            route = routes.get(tabular._normalise_header(text["access_route"]), "")
            if not route:
                reasons.append(
                    _("voie d'accès inconnue : « %(value)s »") % {"value": text["access_route"]}
                )
        first_text = text.get("first_certification", "").lower()
        first_certification: bool | None = None
        if first_text in tabular._YES:
            first_certification = True
        elif first_text and first_text in tabular._NO:
            first_certification = False
        elif first_text:
            reasons.append(
                _("première certification : « %(value)s » (attendu oui, non ou vide)")
                % {"value": text["first_certification"]}
            )
        capacities = [c.strip() for c in _CAPACITY_SEPARATORS.split(text.get("capacities", ""))]
        capacities = [c for c in capacities if c]
        if len(capacities) > MAX_CAPACITIES or any(len(c) > 300 for c in capacities):
            reasons.append(_("liste des capacités trop longue"))
        elif version is not None:
            known = ctx.capacities.get(version.pk, set())
            unknown = [c for c in capacities if c.lower() not in known]
            if unknown:
                reasons.append(
                    _("capacité(s) inconnue(s) dans la version %(number)d : %(codes)s")
                    % {"number": version.number, "codes": ", ".join(unknown)}
                )
        extra = identity.normalise({name: text.get(name, "") for name in tabular.IDENTITY_COLUMNS})
        for name, messages in identity.identity_errors(extra).items():
            reasons.extend(f"{header(name)} : {message}" for message in messages)
        for name in tabular.IDENTITY_COLUMNS:
            if len(extra[name]) > tabular.IDENTITY_MAX_LENGTH[name]:
                reasons.append(_("champ « %(column)s » trop long") % {"column": header(name)})
        last_name, first_name = text.get("last_name", ""), text.get("first_name", "")
        if reasons:
            errors.append(
                RowError(line=line, reasons=reasons, name=f"{first_name} {last_name}".strip())
            )
            continue
        assert referentiel is not None and birth_date and issued_on and kind
        clean.append(
            CleanRow(
                line=line,
                number=number,
                kind=kind,
                referentiel_id=referentiel.pk,
                version_id=version.pk if version else None,
                cqpi_title=referentiel.title,
                issued_on=issued_on.isoformat(),
                last_name=last_name,
                first_name=first_name,
                birth_date=birth_date.isoformat(),
                birth_place=text.get("birth_place", ""),
                access_route=route,
                first_certification=first_certification,
                capacities=capacities,
                signatory=text.get("signatory", ""),
                identity={name: value for name, value in extra.items() if value},
            )
        )
    return clean, errors


def read_rows(uploaded: Any) -> list[tuple[int, dict[str, Any]]]:
    """The file's rows, read by the dossier import's reader with this import's columns."""
    return tabular.parse_upload(uploaded, columns=COLUMNS, required=REQUIRED, headers=HEADERS)


def build_preview(*, uploaded: Any, branch: Branch, by: Any) -> Preview:
    require_branch_staff(by, branch.pk)
    preview = Preview(branch_id=branch.pk, user_id=by.pk, filename=getattr(uploaded, "name", ""))
    try:
        rows = read_rows(uploaded)
    except DomainError as exc:
        preview.file_error = exc.message
        return preview
    preview.rows, preview.errors = validate_rows(rows, branch=branch)
    return preview


def store_preview(preview: Preview) -> str:
    return tabular.store_preview(preview, salt=_SALT)


def load_preview(token: str, *, user: Any) -> Preview | None:
    data = tabular.load_signed(token, user=user, salt=_SALT)
    if data is None:
        return None
    return Preview(
        branch_id=data["branch_id"],
        user_id=data["user_id"],
        filename=data["filename"],
        rows=[CleanRow(**r) for r in data["rows"]],
        errors=[RowError(**e) for e in data["errors"]],
        file_error=data["file_error"],
    )


def discard_preview(token: str) -> None:
    tabular.discard_preview(token)


def template_rows(branch: Branch | None) -> list[list[str]]:
    """The header and one example row (with a CQPI the branch adopted, when there is one)."""
    example = [example for _c, _h, example in column_help()]
    if branch is not None:
        referentiel = Referentiel.objects.filter(adoptions__branch=branch).first()
        example[COLUMNS.index("cqpi_code")] = referentiel.code if referentiel else ""
    return [[header(column) for column in COLUMNS], example]


def template_csv(branch: Branch | None) -> bytes:
    return tabular.rows_csv(template_rows(branch))


def template_xlsx(branch: Branch | None) -> bytes:
    return tabular.rows_xlsx(
        template_rows(branch), title=_("Certificats historiques"), guide=column_help()
    )
