"""Bulk import of candidates and their dossiers from a CSV or XLSX file, all or nothing.

Upload → `parse_upload` reads every row → `validate_rows` lists each bad row with its line
number and reasons → the preview (valid rows and errors) is kept server-side, signed, under
the media storage under `imports/` for an hour (any web host may confirm it) → `import_rows` re-checks against the database and writes
every candidate and dossier in one transaction, or nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from audit.services import audit_record
from branches.access import require_branch_staff
from branches.models import Branch, Company
from branches.services import counter_next
from branches.validators import normalize_siret, siret_is_valid
from certifications.models import Referentiel, ReferentielStatus, ReferentielVersion
from core.errors import DomainError
from core.identity import NormalisedIdentity, normalised_identity
from core.text import format_characters
from core.uploads import CSV, IMPORT_TYPES, XLSX, inspect_upload

from . import identity
from .models import (
    AccessRoute,
    Candidate,
    Dossier,
    DossierHistory,
    DossierStatus,
    Person,
    PersonAction,
    PersonEvent,
)
from .services import dossier_reference, person_unsaved
from .workflow import TERMINAL_STATUSES

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
PREVIEW_MAX_AGE = 3600  # seconds between upload and confirmation
_SALT = "candidates.imports"
# Where previews wait for their confirmation, in the media storage.
_PREVIEW_FOLDER = "imports"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

COLUMNS = (
    "last_name",
    "first_name",
    "birth_date",
    "birth_place",
    "email",
    "company_siret",
    "cqpi_code",
    "access_route",
    "first_certification",
    # The CDC declaration's identity (candidates/identity.py): optional, checked when given.
    "usage_name",
    "first_name_2",
    "first_name_3",
    "sex",
    "birth_insee_code",
    "birth_postal_code",
    "birth_country_code",
    "birth_country_label",
)
IDENTITY_COLUMNS = COLUMNS[COLUMNS.index("usage_name") :]
IDENTITY_MAX_LENGTH = {
    "usage_name": 60,
    "first_name_2": 60,
    "first_name_3": 60,
    "sex": 1,
    "birth_insee_code": 5,
    "birth_postal_code": 5,
    "birth_country_code": 3,
    "birth_country_label": 60,
}
REQUIRED = ("last_name", "first_name", "birth_date", "birth_place", "cqpi_code", "access_route")

# The headers a person reads and writes: the dossier export's own for the columns it has (so an
# export comes back in as it is), a French name for the others. The code names of COLUMNS are
# accepted too, and any other column (the export's "Statut", "Branche"…) is left aside.
HEADERS = {
    "last_name": gettext_lazy("Nom"),
    "first_name": gettext_lazy("Prénom"),
    "birth_date": gettext_lazy("Date de naissance"),
    "birth_place": gettext_lazy("Lieu de naissance"),
    "email": gettext_lazy("E-mail"),
    "company_siret": gettext_lazy("SIRET"),
    "cqpi_code": gettext_lazy("Code CQPI"),
    "access_route": gettext_lazy("Voie d'accès"),
    "first_certification": gettext_lazy("Première certification"),
    "usage_name": gettext_lazy("Nom d'usage"),
    "first_name_2": gettext_lazy("Deuxième prénom"),
    "first_name_3": gettext_lazy("Troisième prénom"),
    "sex": gettext_lazy("Sexe"),
    "birth_insee_code": gettext_lazy("Code INSEE de la commune de naissance"),
    "birth_postal_code": gettext_lazy("Code postal de la commune de naissance"),
    "birth_country_code": gettext_lazy("Code du pays de naissance"),
    "birth_country_label": gettext_lazy("Pays de naissance"),
}


def header(column: str) -> str:
    """The column's header as people read it."""
    return str(HEADERS[column])


def _header_names(
    columns: tuple[str, ...] = COLUMNS, headers: dict[str, Any] = HEADERS
) -> dict[str, str]:
    """Each accepted header, normalised, to its column: the code, and the French and English
    headers whatever the language of the request."""
    names = {_normalise_header(column): column for column in columns}
    for language in ("fr", "en"):
        with translation.override(language):
            names.update({_normalise_header(str(label)): c for c, label in headers.items()})
    return names


def column_help() -> list[tuple[str, str, str]]:
    """(column header, what it holds, example) — shown on the upload page and in the template."""
    return [(header(column), text, example) for column, text, example in _column_help()]


def _column_help() -> list[tuple[str, str, str]]:
    return [
        ("last_name", _("Nom de naissance du candidat (obligatoire)"), "Durand"),
        ("first_name", _("Prénom (obligatoire)"), "Léa"),
        ("birth_date", _("Date de naissance, JJ/MM/AAAA (obligatoire)"), "14/03/1990"),
        ("birth_place", _("Lieu de naissance (obligatoire)"), "Lyon"),
        ("email", _("Adresse e-mail (facultative)"), "lea.durand@example.org"),
        (
            "company_siret",
            _("SIRET de l'entreprise, enregistrée dans la branche (facultatif)"),
            "",
        ),
        ("cqpi_code", _("Code du CQPI, adopté par la branche (obligatoire)"), ""),
        (
            "access_route",
            _(
                "Voie d'accès : code (vae, professionalisation, continuing, pro_a, direct) "
                "ou libellé français (obligatoire)"
            ),
            "continuing",
        ),
        ("first_certification", _("Première certification : oui ou non"), "oui"),
        ("usage_name", _("Nom d'usage, s'il diffère du nom de naissance (facultatif)"), ""),
        ("first_name_2", _("Deuxième prénom (facultatif)"), ""),
        ("first_name_3", _("Troisième prénom (facultatif)"), ""),
        ("sex", _("Sexe : M ou F (pour la déclaration au Passeport de compétences)"), "F"),
        (
            "birth_insee_code",
            _(
                "Code INSEE de la commune de naissance : 5 caractères, 2A/2B en Corse ; vide "
                "pour une naissance à l'étranger (99 + code du pays)"
            ),
            "69123",
        ),
        (
            "birth_postal_code",
            _("Ou, à défaut du code INSEE, le code postal de la commune de naissance"),
            "",
        ),
        (
            "birth_country_code",
            _("Code INSEE du pays de naissance, 3 chiffres (100 : France)"),
            "100",
        ),
        ("birth_country_label", _("Pays de naissance"), "France"),
    ]


@dataclass
class RowError:
    line: int
    reasons: list[str]
    name: str = ""


@dataclass
class CleanRow:
    line: int
    last_name: str
    first_name: str
    birth_date: str  # ISO, so that the preview survives JSON
    birth_place: str
    email: str
    company_id: int | None
    version_id: int
    cqpi_title: str
    access_route: str
    first_certification: bool
    identity: dict[str, str] = field(default_factory=dict)
    # The branch's candidate of exactly this identity, who gets the new dossier; None: a new
    # candidate (with a national person of their own).
    candidate_id: int | None = None

    # For the preview page: the stored values stay raw so that the preview survives JSON.
    @property
    def birth_date_value(self) -> datetime.date:
        return datetime.date.fromisoformat(self.birth_date)

    @property
    def access_route_label(self) -> str:
        return str(AccessRoute(self.access_route).label)


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

    @property
    def reused_count(self) -> int:
        """The rows naming a candidate already registered in the branch."""
        return sum(1 for row in self.rows if row.candidate_id is not None)


# --- Reading ---------------------------------------------------------------------


def _normalise_header(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return value if isinstance(value, datetime.date) else str(value).strip()


def _read_csv(handle: IO[bytes]) -> list[list[Any]]:
    data = handle.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(handle: IO[bytes]) -> list[list[Any]]:
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise DomainError(_("Le classeur ne peut être lu."), code="unreadable") from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def parse_upload(
    uploaded: Any,
    *,
    columns: tuple[str, ...] = COLUMNS,
    required: tuple[str, ...] = REQUIRED,
    headers: dict[str, Any] = HEADERS,
) -> list[tuple[int, dict[str, Any]]]:
    """The file's data rows as (line number, {column: value}); refuses a file it cannot read.

    The columns default to the dossier import's; another import (the certificates issued
    before the platform) passes its own, and reads its files through the same checks."""
    accepted = inspect_upload(uploaded, allowed=IMPORT_TYPES, max_bytes=MAX_BYTES)
    uploaded.seek(0)
    if accepted.content_type == XLSX:
        table = _read_xlsx(uploaded)
    else:
        assert accepted.content_type == CSV
        table = _read_csv(uploaded)
    if not table:
        raise DomainError(_("Le fichier ne contient aucune ligne."), code="empty")
    names = _header_names(columns, headers)
    header_row = [names.get(_normalise_header(v), _normalise_header(v)) for v in table[0]]
    missing = [c for c in required if c not in header_row]
    if missing:
        raise DomainError(
            _("Colonnes manquantes : %(columns)s. Partez du modèle à télécharger.")
            % {"columns": ", ".join(f"« {headers[c]} »" for c in missing)},
            code="missing_columns",
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for index, values in enumerate(table[1:], start=2):
        if not any(v not in ("", None) for v in values):
            continue  # blank lines are not rows
        rows.append(
            (
                index,
                {name: values[i] if i < len(values) else "" for i, name in enumerate(header_row)},
            )
        )
    if not rows:
        raise DomainError(_("Le fichier ne contient aucune ligne de données."), code="empty")
    if len(rows) > MAX_ROWS:
        raise DomainError(
            _("Le fichier dépasse %(max)d lignes : découpez-le.") % {"max": MAX_ROWS},
            code="too_many_rows",
        )
    return rows


# --- Checking --------------------------------------------------------------------


def _access_routes() -> dict[str, str]:
    routes: dict[str, str] = {}
    for value, label in AccessRoute.choices:
        routes[_normalise_header(value)] = value
        full = str(label)
        routes[_normalise_header(full)] = value
        # "VAE (validation …)" and "Pro-A / période …" are also known by their short form.
        routes[_normalise_header(re.split(r" \(| /", full)[0])] = value
    return routes


_YES = {"oui", "o", "yes", "y", "1", "vrai", "true", "x"}
_NO = {"non", "n", "no", "0", "faux", "false", ""}


def _parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


@dataclass
class _Context:
    branch: Branch
    versions: dict[str, ReferentielVersion]
    known_codes: set[str]
    companies: dict[str, Company]
    existing: _BranchCandidates


def _context(branch: Branch, birth_dates: set[datetime.date]) -> _Context:
    versions = {
        v.referentiel.code.lower(): v
        for v in ReferentielVersion.objects.in_force()
        .filter(
            referentiel__status=ReferentielStatus.VALIDATED,
            referentiel__adoptions__branch=branch,
        )
        .select_related("referentiel")
    }
    return _Context(
        branch=branch,
        versions=versions,
        known_codes={c.lower() for c in Referentiel.objects.values_list("code", flat=True)},
        companies={c.siret: c for c in Company.objects.filter(branch=branch)},
        existing=_BranchCandidates.load(branch, birth_dates),
    )


def _row_identity(
    row: dict[str, Any], birth_date: datetime.date, extra: dict[str, str]
) -> NormalisedIdentity:
    return normalised_identity(
        last_name=str(row.get("last_name", "")),
        first_name=str(row.get("first_name", "")),
        birth_date=birth_date,
        birth_place=str(row.get("birth_place", "")),
        birth_insee_code=extra.get("birth_insee_code", ""),
        birth_country_code=extra.get("birth_country_code", ""),
    )


@dataclass
class _BranchCandidates:
    """The branch's candidates born on the file's dates, as `candidate_create` would find
    them: a row naming one of them exactly (names normalised, birth date and place) is that
    candidate — a new dossier, no new record; a row naming one of them otherwise (same names
    and date, another place) is refused, for staff to check. Candidates of other branches are
    never looked at: linking across branches needs the person's consent, given through the
    candidate's form (`candidate_create`). Two queries, whatever the file's length."""

    by_key: dict[str, list[Candidate]]
    in_progress: set[tuple[int, int]]  # (candidate, référentiel) with a dossier not closed

    @classmethod
    def load(cls, branch: Branch, birth_dates: set[datetime.date]) -> _BranchCandidates:
        by_key: dict[str, list[Candidate]] = {}
        candidates = Candidate.objects.filter(branch=branch, birth_date__in=birth_dates).only(
            "pk",
            "person_id",
            "last_name",
            "first_name",
            "birth_date",
            "birth_place",
            "birth_insee_code",
            "birth_country_code",
        )
        for candidate in candidates:
            by_key.setdefault(candidate.identity().key, []).append(candidate)
        ids = [c.pk for found in by_key.values() for c in found]
        in_progress = set(
            Dossier.objects.filter(candidate_id__in=ids)
            .exclude(status__in=TERMINAL_STATUSES)
            .values_list("candidate_id", "version__referentiel_id")
        )
        return cls(by_key=by_key, in_progress=in_progress)

    def match(self, wanted: NormalisedIdentity) -> tuple[Candidate | None, bool]:
        """The candidate named exactly, and whether another of the same names and birth date
        stands in the way (a different place of birth)."""
        found = self.by_key.get(wanted.key, [])
        exact = next((c for c in found if c.identity().matches(wanted)), None)
        return exact, bool(found) and exact is None

    def reasons(
        self, wanted: NormalisedIdentity, referentiel_id: int | None
    ) -> tuple[int | None, list[str]]:
        """The candidate the row reuses (or None), and why it cannot be imported."""
        exact, clash = self.match(wanted)
        if clash:
            return None, [
                _(
                    "un candidat de mêmes nom, prénom et date de naissance est déjà enregistré "
                    "dans la branche avec un autre lieu de naissance : vérifiez sa fiche ou la "
                    "ligne"
                )
            ]
        if exact is None:
            return None, []
        if (exact.pk, referentiel_id) in self.in_progress:
            return exact.pk, [_("le candidat a déjà un dossier en cours pour ce CQPI")]
        return exact.pk, []


def validate_rows(
    rows: list[tuple[int, dict[str, Any]]], *, branch: Branch
) -> tuple[list[CleanRow], list[RowError]]:
    """Every row checked against the file and the database; a row with a problem is never kept."""
    today = timezone.localdate()
    dates = {d for _line, row in rows if (d := _parse_date(row.get("birth_date", "")))}
    ctx = _context(branch, dates)
    routes = _access_routes()
    seen: dict[str, int] = {}
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    for line, row in rows:
        reasons: list[str] = []
        value = {k: (v if isinstance(v, datetime.date) else str(v).strip()) for k, v in row.items()}
        for name in REQUIRED:
            if value.get(name) in ("", None):
                reasons.append(_("champ « %(column)s » manquant") % {"column": header(name)})
        # As text, like the other columns: a spreadsheet may hold a date in any cell.
        last_name = str(value.get("last_name", ""))
        first_name = str(value.get("first_name", ""))
        birth_date = None
        if value.get("birth_date"):
            birth_date = _parse_date(value["birth_date"])
            if birth_date is None:
                reasons.append(
                    _("date de naissance impossible : « %(value)s » (attendu JJ/MM/AAAA)")
                    % {"value": value["birth_date"]}
                )
            elif birth_date >= today or birth_date.year < 1900:
                reasons.append(
                    _("date de naissance impossible : %(date)s")
                    % {"date": birth_date.strftime("%d/%m/%Y")}
                )
                birth_date = None
        for name in ("last_name", "first_name", "birth_place"):
            if len(str(value.get(name, ""))) > 120:
                reasons.append(_("champ « %(column)s » trop long") % {"column": header(name)})
            if codes := format_characters(str(value.get(name, ""))):
                reasons.append(
                    _("champ « %(column)s » : caractère invisible de mise en forme (%(codes)s)")
                    % {"column": header(name), "codes": ", ".join(codes)}
                )
        email = str(value.get("email", ""))
        if email:
            try:
                validate_email(email)
            except ValidationError:
                reasons.append(_("adresse e-mail invalide : « %(value)s »") % {"value": email})
        company = None
        siret = normalize_siret(str(value.get("company_siret", "")))
        if siret:
            if not siret_is_valid(siret):
                reasons.append(_("SIRET invalide : « %(value)s »") % {"value": siret})
            elif siret not in ctx.companies:
                reasons.append(
                    _("entreprise inconnue dans la branche (SIRET %(value)s)") % {"value": siret}
                )
            else:
                company = ctx.companies[siret]
        version = None
        code = str(value.get("cqpi_code", "")).lower()
        if code:
            version = ctx.versions.get(code)
            if version is None:
                reasons.append(
                    _("CQPI « %(code)s » non adopté par la branche ou sans version en vigueur")
                    % {"code": value["cqpi_code"]}
                    if code in ctx.known_codes
                    else _("CQPI inconnu : « %(code)s »") % {"code": value["cqpi_code"]}
                )
        route = ""
        if value.get("access_route"):
            route = routes.get(_normalise_header(value["access_route"]), "")
            if not route:
                reasons.append(
                    _("voie d'accès inconnue : « %(value)s »") % {"value": value["access_route"]}
                )
        first_cert = str(value.get("first_certification", "")).lower()
        if first_cert not in _YES | _NO:
            reasons.append(
                _("première certification : « %(value)s » (attendu oui ou non)")
                % {"value": value["first_certification"]}
            )
        extra = identity.normalise(
            {name: str(value.get(name, "") or "") for name in IDENTITY_COLUMNS}
        )
        for name, messages in identity.identity_errors(extra).items():
            reasons.extend(f"{header(name)} : {message}" for message in messages)
        for name in IDENTITY_COLUMNS:
            if len(extra[name]) > IDENTITY_MAX_LENGTH[name]:
                reasons.append(_("champ « %(column)s » trop long") % {"column": header(name)})
        reused: int | None = None
        if last_name and first_name and birth_date:
            wanted = _row_identity(value, birth_date, extra)
            key = wanted.key
            reused, problems = ctx.existing.reasons(
                wanted, version.referentiel_id if version is not None else None
            )
            reasons.extend(problems)
            if key in seen:
                reasons.append(
                    _("candidat en double dans le fichier (déjà à la ligne %(line)d)")
                    % {"line": seen[key]}
                )
            elif not problems:
                seen[key] = line
        if reasons:
            errors.append(
                RowError(line=line, reasons=reasons, name=f"{first_name} {last_name}".strip())
            )
            continue
        assert birth_date is not None and version is not None
        clean.append(
            CleanRow(
                line=line,
                last_name=last_name,
                first_name=first_name,
                birth_date=birth_date.isoformat(),
                birth_place=str(value["birth_place"]),
                email=email,
                company_id=company.pk if company else None,
                version_id=version.pk,
                cqpi_title=version.referentiel.title,
                access_route=route,
                first_certification=first_cert in _YES and first_cert != "",
                identity={name: value for name, value in extra.items() if value},
                candidate_id=reused,
            )
        )
    return clean, errors


def build_preview(*, uploaded: Any, branch: Branch, by: Any) -> Preview:
    require_branch_staff(by, branch.pk)
    preview = Preview(branch_id=branch.pk, user_id=by.pk, filename=getattr(uploaded, "name", ""))
    try:
        rows = parse_upload(uploaded)
    except DomainError as exc:
        preview.file_error = exc.message
        return preview
    preview.rows, preview.errors = validate_rows(rows, branch=branch)
    return preview


# --- Keeping the preview between upload and confirmation ---------------------------


def _stored_name(token: str) -> str:
    return f"{_PREVIEW_FOLDER}/{token}.signed"


def store_preview(preview: Any, *, salt: str = _SALT) -> str:
    """Save the preview (a dataclass with `user_id`), signed (so a tampered file is refused),
    and return its token. Each import signs with its own salt: one import's preview is never
    read as another's. Through the media storage, so that the confirmation may reach another
    web host."""
    token = secrets.token_urlsafe(24)
    payload = signing.dumps(asdict(preview), salt=salt, compress=True)
    default_storage.save(_stored_name(token), ContentFile(payload.encode("ascii")))
    _sweep()
    return token


def load_signed(token: str, *, user: Any, salt: str) -> dict[str, Any] | None:
    """The stored preview's data, if it exists, is fresh, untampered, signed with `salt` and
    belongs to `user`."""
    if not _TOKEN.match(token):
        return None
    try:
        with default_storage.open(_stored_name(token), "rb") as handle:
            payload = handle.read().decode("ascii")
        data = signing.loads(payload, salt=salt, max_age=PREVIEW_MAX_AGE)
    except (OSError, UnicodeDecodeError, signing.BadSignature):
        return None
    if data["user_id"] != user.pk:
        return None
    return dict(data)


def load_preview(token: str, *, user: Any) -> Preview | None:
    """The preview of this token, if it exists, is fresh, untampered and belongs to `user`."""
    data = load_signed(token, user=user, salt=_SALT)
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
    if _TOKEN.match(token):
        default_storage.delete(_stored_name(token))


def _sweep() -> None:
    """Forget previews older than their validity: they can no longer be confirmed."""
    limit = timezone.now() - datetime.timedelta(seconds=PREVIEW_MAX_AGE)
    try:
        _folders, names = default_storage.listdir(_PREVIEW_FOLDER)
    except FileNotFoundError:
        return
    for name in names:
        if not name.endswith(".signed"):
            continue
        stored = f"{_PREVIEW_FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(stored) < limit:
                default_storage.delete(stored)
        except OSError:
            continue


# --- Writing ---------------------------------------------------------------------


@transaction.atomic
def import_rows(
    *, branch: Branch, rows: list[CleanRow], by: Any, filename: str = ""
) -> list[Dossier]:
    """Create every candidate and dossier of the preview, or none.

    The rows are checked again against the database (another import may have registered
    one of these candidates since the preview); the checks are those of `candidate_create`
    and `dossier_open`, made once for the whole file so that thousands of rows write in
    a few bulk inserts.
    """
    require_branch_staff(by, branch.pk)
    if not rows:
        raise DomainError(_("Aucune ligne à importer."), code="empty")
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    as_table = [
        (
            row.line,
            {
                "last_name": row.last_name,
                "first_name": row.first_name,
                "birth_date": datetime.date.fromisoformat(row.birth_date),
                "birth_place": row.birth_place,
                "email": row.email,
                "company_siret": "",
                "cqpi_code": "",
                "access_route": row.access_route,
                "first_certification": "oui" if row.first_certification else "non",
                **row.identity,
            },
        )
        for row in rows
    ]
    _clean, errors = _recheck(as_table, rows, branch)
    if errors:
        raise DomainError(
            _(
                "Le fichier ne peut plus être importé : %(count)d ligne(s) sont devenues invalides "
                "(par exemple ligne %(line)d : %(reason)s). Déposez-le à nouveau."
            )
            % {"count": len(errors), "line": errors[0].line, "reason": errors[0].reasons[0]},
            code="stale_preview",
        )
    today = timezone.localdate()
    now = timezone.now()
    candidates = _candidates_for(rows, branch=branch, by=by)
    first = counter_next(branch=branch, kind="dossier", year=today.year, count=len(rows))
    dossiers = []
    for offset, (row, candidate) in enumerate(zip(rows, candidates, strict=True)):
        number = first + offset
        dossiers.append(
            Dossier(
                reference=dossier_reference(branch=branch, year=today.year, number=number),
                candidate=candidate,
                branch=branch,
                company_id=row.company_id,
                version_id=row.version_id,
                access_route=row.access_route,
                first_certification=row.first_certification,
                status=DossierStatus.OPEN,
                opened_on=today,
                status_changed_at=now,
                created_by=by,
            )
        )
    Dossier.objects.bulk_create(dossiers)
    comment = _("Import du fichier %(name)s") % {"name": filename} if filename else ""
    DossierHistory.objects.bulk_create(
        [
            DossierHistory(
                dossier=d, from_status="", to_status=DossierStatus.OPEN, by=by, comment=comment
            )
            for d in dossiers
        ]
    )
    # One event for the batch: who imported which file into which branch, and how many.
    audit_record(
        "dossier.import",
        branch=branch,
        actor=by,
        details={
            "file": filename,
            "dossiers": len(dossiers),
            "candidates_created": sum(1 for row in rows if row.candidate_id is None),
            "candidates_reused": sum(1 for row in rows if row.candidate_id is not None),
            "first": dossiers[0].reference,
            "last": dossiers[-1].reference,
        },
    )
    return dossiers


def _candidates_for(rows: list[CleanRow], *, branch: Branch, by: Any) -> list[Candidate]:
    """Each row's candidate, in the rows' order: the branch's candidate the row names
    exactly, or a new one with a national person of their own (never another branch's: see
    `_BranchCandidates`). A fixed number of bulk queries, whatever the number of rows."""
    reused = Candidate.objects.in_bulk([row.candidate_id for row in rows if row.candidate_id])
    new = {
        row.line: Candidate(
            branch=branch,
            last_name=row.last_name,
            first_name=row.first_name,
            birth_date=datetime.date.fromisoformat(row.birth_date),
            birth_place=row.birth_place,
            email=row.email,
            **row.identity,
        )
        for row in rows
        if row.candidate_id is None
    }
    # A reused candidate without a person (written by the load generator) gets one too.
    unlinked = [c for c in reused.values() if c.person_id is None]
    persons = Person.objects.bulk_create([person_unsaved(c) for c in (*new.values(), *unlinked)])
    for candidate, person in zip((*new.values(), *unlinked), persons, strict=True):
        candidate.person = person
    Candidate.objects.bulk_create(new.values())
    if unlinked:
        Candidate.objects.bulk_update(unlinked, ["person"])
    PersonEvent.objects.bulk_create(
        [
            PersonEvent(person=c.person, action=PersonAction.CREATED, candidate=c, by=by)
            for c in (*new.values(), *unlinked)
        ]
    )
    return [new[row.line] if row.candidate_id is None else reused[row.candidate_id] for row in rows]


def _recheck(
    table: list[tuple[int, dict[str, Any]]], rows: list[CleanRow], branch: Branch
) -> tuple[list[CleanRow], list[RowError]]:
    """The branch's candidates the rows name (the same as at the preview, with no dossier
    in progress for the CQPI since), and the versions and companies still being usable."""
    errors: list[RowError] = []
    dates = {data["birth_date"] for _line, data in table}
    existing = _BranchCandidates.load(branch, dates)
    referentiels = dict(
        ReferentielVersion.objects.filter(pk__in={row.version_id for row in rows}).values_list(
            "pk", "referentiel_id"
        )
    )
    usable_versions = set(
        ReferentielVersion.objects.in_force()
        .filter(
            referentiel__status=ReferentielStatus.VALIDATED,
            referentiel__adoptions__branch=branch,
        )
        .values_list("pk", flat=True)
    )
    companies = set(Company.objects.filter(branch=branch).values_list("pk", flat=True))
    for (line, data), row in zip(table, rows, strict=True):
        reasons = []
        wanted = _row_identity(data, data["birth_date"], row.identity)
        reused, problems = existing.reasons(wanted, referentiels.get(row.version_id))
        reasons.extend(problems)
        if not problems and reused != row.candidate_id:
            reasons.append(_("un candidat de cette identité a été enregistré depuis l'aperçu"))
        if row.version_id not in usable_versions:
            reasons.append(_("le CQPI n'a plus de version en vigueur adoptée par la branche"))
        if row.company_id is not None and row.company_id not in companies:
            reasons.append(_("entreprise inconnue dans la branche"))
        if reasons:
            errors.append(RowError(line=line, reasons=reasons))
    return rows, errors


# --- The template ------------------------------------------------------------------


def template_rows(branch: Branch | None) -> list[list[str]]:
    """The header and one example row (with a CQPI and a company of the branch when known)."""
    help_rows = column_help()
    example = [example for _c, _h, example in help_rows]
    if branch is not None:
        version = (
            ReferentielVersion.objects.in_force()
            .filter(referentiel__adoptions__branch=branch)
            .select_related("referentiel")
            .first()
        )
        company = Company.objects.filter(branch=branch).first()
        example[COLUMNS.index("cqpi_code")] = version.referentiel.code if version else ""
        example[COLUMNS.index("company_siret")] = company.siret if company else ""
    return [[header(column) for column in COLUMNS], example]


def template_csv(branch: Branch | None) -> bytes:
    return rows_csv(template_rows(branch))


def template_xlsx(branch: Branch | None) -> bytes:
    return rows_xlsx(template_rows(branch), title=_("Candidats"), guide=column_help())


def rows_csv(rows: list[list[str]]) -> bytes:
    """A template as CSV for French spreadsheets: `;`, UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def rows_xlsx(rows: list[list[str]], *, title: str, guide: list[tuple[str, str, str]]) -> bytes:
    """A template as XLSX: the rows on a sheet named `title`, the columns' help on a second."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 22
    help_sheet = workbook.create_sheet(_("Aide")[:31])
    help_sheet.append([_("Colonne"), _("Contenu"), _("Exemple")])
    for name, description, example in guide:
        help_sheet.append([name, description, example])
    help_sheet.column_dimensions["A"].width = 22
    help_sheet.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
