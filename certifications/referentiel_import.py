"""Import of a CQPI référentiel from its JSON format (docs/referentiel-format.md): parse, validate
everything, then load it all or nothing.

An import creates the CQPI if its code is new, otherwise adds a new version: the content of an
existing version is never changed, because dossiers stay bound to the version they opened under.
The new version is published through `version_publish`, which retires the previous one.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from core.errors import DomainError

from . import services
from .models import (
    Bloc,
    Capacity,
    Indicator,
    Referentiel,
    ReferentielStatus,
    ReferentielVersion,
    Registration,
    RegistrationKind,
    VersionStatus,
)

DEFAULT_MAX_MARK = 4
MAX_MARK_LIMIT = 100
MAX_REGISTRATION_YEARS = 5

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NSF_RE = re.compile(r"^\d{3}[a-z]?$")
_REGISTRATION_CODE_RE = {
    RegistrationKind.RNCP: re.compile(r"^RNCP\d{1,6}$"),
    RegistrationKind.RS: re.compile(r"^RS\d{1,6}$"),
}
_LEVELS = {str(n) for n in range(1, 9)}

_TOP_KEYS = {
    "code",
    "title",
    "description",
    "level",
    "eqf_level",
    "nsf_codes",
    "illustrative",
    "registration",
    "version",
    "blocs",
    "adoptions",
}
_TOP_REQUIRED = {"code", "title", "version", "blocs"}
_REGISTRATION_KEYS = {"kind", "code", "decision_date", "valid_until"}
_VERSION_KEYS = {"number", "effective_from", "notes"}
_VERSION_REQUIRED = {"number", "effective_from"}
_BLOC_KEYS = {"code", "title", "capacities"}
_CAPACITY_KEYS = {"code", "title", "indicators"}
_INDICATOR_KEYS = {"label", "threshold", "max_mark"}
_INDICATOR_REQUIRED = {"label", "threshold"}
_ADOPTION_KEYS = {"branch_code", "accord_date"}


class ReferentielImportError(DomainError):
    """The file is refused; `errors` lists every problem found, each prefixed by its JSON path."""

    code = "invalid_referentiel"

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class IndicatorData:
    label: str
    threshold: int
    max_mark: int


@dataclass(frozen=True)
class CapacityData:
    code: str
    title: str
    indicators: list[IndicatorData]


@dataclass(frozen=True)
class BlocData:
    code: str
    title: str
    capacities: list[CapacityData]


@dataclass(frozen=True)
class RegistrationData:
    kind: str
    code: str
    decision_date: datetime.date
    valid_until: datetime.date


@dataclass(frozen=True)
class AdoptionData:
    branch: Branch
    accord_date: datetime.date


@dataclass
class ReferentielDocument:
    """A validated import file, ready to load."""

    code: str
    title: str
    description: str
    level: str
    eqf_level: str
    nsf_codes: str
    illustrative: bool
    registration: RegistrationData | None
    version_number: int
    effective_from: datetime.date
    notes: str
    blocs: list[BlocData]
    adoptions: list[AdoptionData]


@dataclass
class ImportResult:
    referentiel: Referentiel
    version: ReferentielVersion
    created: bool
    dry_run: bool
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _fmt(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def parse_json(text: str | bytes) -> Any:
    """The decoded document, or the JSON syntax error located by line and column."""
    try:
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise ReferentielImportError(
            [_("Fichier illisible : il doit être encodé en UTF-8 (%(error)s).") % {"error": exc}]
        ) from exc
    except json.JSONDecodeError as exc:
        raise ReferentielImportError(
            [
                _("JSON invalide (ligne %(line)d, colonne %(column)d) : %(message)s.")
                % {"line": exc.lineno, "column": exc.colno, "message": exc.msg}
            ]
        ) from exc


class _Checker:
    """Walks the raw document and collects every error with its JSON path."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path} : {message}" if path else message)

    @staticmethod
    def join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def mapping(
        self, value: Any, path: str, *, allowed: set[str], required: set[str]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(
                path,
                _("un objet JSON ({…}) est attendu")
                if path
                else _("le document doit être un objet JSON ({…})."),
            )
            return None
        for key in sorted(set(value) - allowed):
            self.error(self.join(path, key), _("clé inconnue"))
        for key in sorted(required - set(value)):
            self.error(self.join(path, key), _("champ obligatoire manquant"))
        return value

    def text(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        max_length: int,
        required: bool = False,
        default: str = "",
    ) -> str | None:
        if key not in obj:
            return default if not required else None  # missing: reported by `mapping`
        value = obj[key]
        where = self.join(path, key)
        if not isinstance(value, str):
            self.error(where, _("une chaîne de caractères est attendue"))
            return None
        value = value.strip()
        if required and not value:
            self.error(where, _("ne doit pas être vide"))
            return None
        if len(value) > max_length:
            self.error(
                where,
                _("%(length)d caractères, %(max)d au plus")
                % {"length": len(value), "max": max_length},
            )
            return None
        return value

    def integer(
        self, obj: dict[str, Any], key: str, path: str, *, minimum: int, maximum: int
    ) -> int | None:
        if key not in obj:
            return None
        value = obj[key]
        where = self.join(path, key)
        # bool is an int in Python; `true` is never a valid mark.
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(where, _("un nombre entier est attendu"))
            return None
        if not minimum <= value <= maximum:
            self.error(
                where,
                _("doit être compris entre %(min)d et %(max)d") % {"min": minimum, "max": maximum},
            )
            return None
        return value

    def date(self, obj: dict[str, Any], key: str, path: str) -> datetime.date | None:
        if key not in obj:
            return None
        value = obj[key]
        where = self.join(path, key)
        if not isinstance(value, str) or not _DATE_RE.match(value):
            self.error(where, _("une date au format AAAA-MM-JJ est attendue"))
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.error(where, _("date inexistante « %(value)s »") % {"value": value})
            return None

    def array(self, obj: dict[str, Any], key: str, path: str, *, non_empty: bool) -> list[Any]:
        if key not in obj:
            return []
        value = obj[key]
        where = self.join(path, key)
        if not isinstance(value, list):
            self.error(where, _("une liste ([…]) est attendue"))
            return []
        if non_empty and not value:
            self.error(where, _("la liste ne doit pas être vide"))
        return value


def _level(checker: _Checker, obj: dict[str, Any], key: str) -> str:
    if key not in obj:
        return ""
    value = obj[key]
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or text.strip() not in _LEVELS:
        checker.error(key, _("un niveau de 1 à 8 est attendu"))
        return ""
    return text.strip()


def _nsf_codes(checker: _Checker, obj: dict[str, Any]) -> str:
    if "nsf_codes" not in obj:
        return ""
    value = obj["nsf_codes"]
    if isinstance(value, str):
        items = [item for item in re.split(r"[,\s]+", value) if item]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        checker.error("nsf_codes", _("une liste de codes NSF (chaînes) est attendue"))
        return ""
    bad = [item for item in items if not _NSF_RE.match(item)]
    if bad:
        checker.error(
            "nsf_codes",
            _("code(s) NSF invalide(s) : %(codes)s (trois chiffres, éventuellement une lettre)")
            % {"codes": ", ".join(bad)},
        )
        return ""
    joined = ", ".join(items)
    if len(joined) > 100:
        checker.error("nsf_codes", _("trop de codes NSF (100 caractères au plus)"))
        return ""
    return joined


def _registration(checker: _Checker, raw: Any) -> RegistrationData | None:
    obj = checker.mapping(
        raw, "registration", allowed=_REGISTRATION_KEYS, required=_REGISTRATION_KEYS
    )
    if obj is None:
        return None
    kind = obj.get("kind")
    if "kind" in obj:
        kind = kind.lower() if isinstance(kind, str) else kind
        if kind not in RegistrationKind.values:
            checker.error("registration.kind", _("« rncp » ou « rs » est attendu"))
            kind = None
    code = checker.text(obj, "code", "registration", max_length=20, required=True)
    if code and kind and not _REGISTRATION_CODE_RE[RegistrationKind(kind)].match(code):
        checker.error(
            "registration.code",
            _("un code %(kind)s s'écrit « %(prefix)s » suivi de chiffres (ex. %(example)s)")
            % {
                "kind": kind.upper(),
                "prefix": kind.upper(),
                "example": "RNCP12345" if kind == RegistrationKind.RNCP else "RS1234",
            },
        )
        code = None
    decision = checker.date(obj, "decision_date", "registration")
    until = checker.date(obj, "valid_until", "registration")
    if decision and until:
        if until <= decision:
            checker.error(
                "registration.valid_until",
                _("la fin d'enregistrement doit suivre la date de décision"),
            )
            until = None
        elif until > _add_years(decision, MAX_REGISTRATION_YEARS):
            checker.error(
                "registration.valid_until",
                _(
                    "un enregistrement dure au plus %(years)d ans : fin au %(max)s au plus tard "
                    "pour une décision du %(decision)s"
                )
                % {
                    "years": MAX_REGISTRATION_YEARS,
                    "max": _fmt(_add_years(decision, MAX_REGISTRATION_YEARS)),
                    "decision": _fmt(decision),
                },
            )
            until = None
    if kind and code and decision and until:
        return RegistrationData(kind=kind, code=code, decision_date=decision, valid_until=until)
    return None


def _blocs(checker: _Checker, raw: dict[str, Any]) -> list[BlocData]:
    blocs: list[BlocData] = []
    bloc_codes: dict[str, str] = {}
    capacity_codes: dict[str, str] = {}
    for b, raw_bloc in enumerate(checker.array(raw, "blocs", "", non_empty=True)):
        bpath = f"blocs[{b}]"
        bloc = checker.mapping(raw_bloc, bpath, allowed=_BLOC_KEYS, required=_BLOC_KEYS)
        if bloc is None:
            continue
        bcode = checker.text(bloc, "code", bpath, max_length=20, required=True)
        if bcode is not None:
            if bcode in bloc_codes:
                checker.error(
                    f"{bpath}.code",
                    _("code « %(code)s » déjà utilisé par %(other)s")
                    % {"code": bcode, "other": bloc_codes[bcode]},
                )
            else:
                bloc_codes[bcode] = bpath
        btitle = checker.text(bloc, "title", bpath, max_length=250, required=True)
        capacities: list[CapacityData] = []
        for c, raw_capacity in enumerate(checker.array(bloc, "capacities", bpath, non_empty=True)):
            cpath = f"{bpath}.capacities[{c}]"
            capacity = checker.mapping(
                raw_capacity, cpath, allowed=_CAPACITY_KEYS, required=_CAPACITY_KEYS
            )
            if capacity is None:
                continue
            ccode = checker.text(capacity, "code", cpath, max_length=20, required=True)
            if ccode is not None:
                # Unique across the version, not only the bloc: juries and evaluators cite them.
                if ccode in capacity_codes:
                    checker.error(
                        f"{cpath}.code",
                        _("code « %(code)s » déjà utilisé par %(other)s")
                        % {"code": ccode, "other": capacity_codes[ccode]},
                    )
                else:
                    capacity_codes[ccode] = cpath
            ctitle = checker.text(capacity, "title", cpath, max_length=300, required=True)
            indicators = _indicators(checker, capacity, cpath)
            if ccode and ctitle and indicators is not None:
                capacities.append(CapacityData(code=ccode, title=ctitle, indicators=indicators))
        if bcode and btitle:
            blocs.append(BlocData(code=bcode, title=btitle, capacities=capacities))
    return blocs


def _indicators(
    checker: _Checker, capacity: dict[str, Any], cpath: str
) -> list[IndicatorData] | None:
    indicators: list[IndicatorData] = []
    labels: dict[str, str] = {}
    complete = True
    for i, raw_indicator in enumerate(checker.array(capacity, "indicators", cpath, non_empty=True)):
        ipath = f"{cpath}.indicators[{i}]"
        indicator = checker.mapping(
            raw_indicator, ipath, allowed=_INDICATOR_KEYS, required=_INDICATOR_REQUIRED
        )
        if indicator is None:
            complete = False
            continue
        label = checker.text(indicator, "label", ipath, max_length=300, required=True)
        if label is not None:
            if label.casefold() in labels:
                checker.error(
                    f"{ipath}.label",
                    _("indicateur en double (déjà en %(other)s)")
                    % {"other": labels[label.casefold()]},
                )
            else:
                labels[label.casefold()] = ipath
        max_mark: int | None = DEFAULT_MAX_MARK
        if "max_mark" in indicator:
            max_mark = checker.integer(
                indicator, "max_mark", ipath, minimum=1, maximum=MAX_MARK_LIMIT
            )
        threshold = checker.integer(
            indicator, "threshold", ipath, minimum=1, maximum=MAX_MARK_LIMIT
        )
        if threshold is not None and max_mark is not None and threshold > max_mark:
            checker.error(
                f"{ipath}.threshold",
                _("le seuil (%(threshold)d) dépasse la note maximale (%(max)d)")
                % {"threshold": threshold, "max": max_mark},
            )
            threshold = None
        if label and threshold is not None and max_mark is not None:
            indicators.append(IndicatorData(label=label, threshold=threshold, max_mark=max_mark))
        else:
            complete = False
    return indicators if complete else None


def _adoptions(checker: _Checker, raw: dict[str, Any]) -> list[AdoptionData]:
    items = checker.array(raw, "adoptions", "", non_empty=False)
    parsed: list[tuple[str, str, datetime.date | None]] = []
    for a, raw_adoption in enumerate(items):
        apath = f"adoptions[{a}]"
        adoption = checker.mapping(
            raw_adoption, apath, allowed=_ADOPTION_KEYS, required=_ADOPTION_KEYS
        )
        if adoption is None:
            continue
        code = checker.text(adoption, "branch_code", apath, max_length=40, required=True)
        day = checker.date(adoption, "accord_date", apath)
        if day is not None and day > timezone.localdate():
            checker.error(f"{apath}.accord_date", _("la date de l'accord est dans le futur"))
            day = None
        if code is not None:
            parsed.append((apath, code, day))
    branches = Branch.objects.in_bulk([code for _p, code, _d in parsed], field_name="code")
    seen: dict[str, str] = {}
    adoptions: list[AdoptionData] = []
    for apath, code, day in parsed:
        if code in seen:
            checker.error(
                f"{apath}.branch_code",
                _("branche « %(code)s » déjà citée en %(other)s")
                % {"code": code, "other": seen[code]},
            )
            continue
        seen[code] = apath
        branch = branches.get(code)
        if branch is None:
            checker.error(
                f"{apath}.branch_code",
                _(
                    "branche inconnue « %(code)s » (voir les codes des branches dans l'administration)"
                )
                % {"code": code},
            )
            continue
        if day is not None:
            adoptions.append(AdoptionData(branch=branch, accord_date=day))
    return adoptions


def validate(raw: Any, *, keep_existing: bool = False) -> ReferentielDocument:
    """Check the whole document against the format and the database; raise with every error.

    With `keep_existing` (see `import_or_complete`), a CQPI that already has a version is not
    checked against the database beyond its adoptions: its version, registration and identity
    will not be loaded, so they cannot clash.
    """
    checker = _Checker()
    obj = checker.mapping(raw, "", allowed=_TOP_KEYS, required=_TOP_REQUIRED)
    if obj is None:
        raise ReferentielImportError(checker.errors)
    code = checker.text(obj, "code", "", max_length=60, required=True)
    if code and not _SLUG_RE.match(code):
        checker.error("code", _("minuscules, chiffres et tirets seulement (ex. agent-logistique)"))
        code = None
    title = checker.text(obj, "title", "", max_length=200, required=True)
    description = checker.text(obj, "description", "", max_length=5000) or ""
    level = _level(checker, obj, "level")
    eqf_level = _level(checker, obj, "eqf_level")
    nsf_codes = _nsf_codes(checker, obj)
    illustrative = obj.get("illustrative", False)
    if not isinstance(illustrative, bool):
        checker.error("illustrative", _("true ou false est attendu"))
        illustrative = False
    registration = _registration(checker, obj["registration"]) if "registration" in obj else None

    version_number: int | None = None
    effective_from: datetime.date | None = None
    notes = ""
    version = (
        checker.mapping(
            obj.get("version"), "version", allowed=_VERSION_KEYS, required=_VERSION_REQUIRED
        )
        if "version" in obj
        else None
    )
    if version is not None:
        version_number = checker.integer(version, "number", "version", minimum=1, maximum=32767)
        effective_from = checker.date(version, "effective_from", "version")
        notes = checker.text(version, "notes", "version", max_length=5000) or ""

    blocs = _blocs(checker, obj)
    adoptions = _adoptions(checker, obj)

    existing = Referentiel.objects.filter(code=code).first() if code else None
    if not (keep_existing and existing is not None and existing.versions.exists()):
        _check_against_database(
            checker,
            existing=existing,
            code=code,
            title=title,
            registration=registration,
            has_registration="registration" in obj,
            version_number=version_number,
            effective_from=effective_from,
        )
    if checker.errors:
        raise ReferentielImportError(checker.errors)
    assert code and title and version_number and effective_from  # guaranteed when no error
    return ReferentielDocument(
        code=code,
        title=title,
        description=description,
        level=level,
        eqf_level=eqf_level,
        nsf_codes=nsf_codes,
        illustrative=illustrative,
        registration=registration,
        version_number=version_number,
        effective_from=effective_from,
        notes=notes,
        blocs=blocs,
        adoptions=adoptions,
    )


def _check_against_database(
    checker: _Checker,
    *,
    existing: Referentiel | None,
    code: str | None,
    title: str | None,
    registration: RegistrationData | None,
    has_registration: bool,
    version_number: int | None,
    effective_from: datetime.date | None,
) -> None:
    if title:
        clash = Referentiel.objects.filter(title=title).exclude(code=code).first()
        if clash is not None:
            checker.error(
                "title",
                _("intitulé déjà porté par le CQPI « %(code)s »") % {"code": clash.code},
            )
    if existing is None and code and not has_registration:
        checker.error(
            "registration",
            _("obligatoire pour un nouveau CQPI : le code RNCP ou RS figure sur le certificat"),
        )
    if registration is not None:
        known = Registration.objects.filter(code=registration.code).first()
        if known is not None:
            if existing is None or known.referentiel_id != existing.pk:
                checker.error(
                    "registration.code",
                    _("le code %(code)s est déjà enregistré pour un autre CQPI")
                    % {"code": registration.code},
                )
            elif (known.kind, known.decision_date, known.valid_until) != (
                registration.kind,
                registration.decision_date,
                registration.valid_until,
            ):
                checker.error(
                    "registration.code",
                    _(
                        "le code %(code)s est déjà enregistré avec d'autres dates (décision du "
                        "%(decision)s, fin le %(until)s) : un enregistrement n'est pas modifié "
                        "par un import"
                    )
                    % {
                        "code": registration.code,
                        "decision": _fmt(known.decision_date),
                        "until": _fmt(known.valid_until),
                    },
                )
    if existing is not None and version_number is not None:
        latest = existing.versions.order_by("-number").first()
        if latest is not None and version_number <= latest.number:
            checker.error(
                "version.number",
                _(
                    "la version %(number)d n'est pas nouvelle : ce CQPI a déjà une version "
                    "%(latest)d, et le contenu d'une version existante n'est jamais modifié "
                    "(numérotez %(next)d ou plus)"
                )
                % {"number": version_number, "latest": latest.number, "next": latest.number + 1},
            )
        in_force = existing.versions.in_force().first()
        if in_force is not None and effective_from and effective_from < in_force.effective_from:
            checker.error(
                "version.effective_from",
                _("antérieure à la version en vigueur (v%(number)d, depuis le %(date)s)")
                % {"number": in_force.number, "date": _fmt(in_force.effective_from)},
            )


@transaction.atomic
def import_document(raw: Any, *, by: Any | None = None, dry_run: bool = False) -> ImportResult:
    """Validate and load a decoded document in one transaction; `dry_run` rolls everything back.

    `by=None` is the system (command line); otherwise the services check `by` is national admin.
    """
    document = validate(raw)
    result = _load(document, by=by)
    result.dry_run = dry_run
    if dry_run:
        transaction.set_rollback(True)
    return result


@transaction.atomic
def import_or_complete(raw: Any, *, by: Any | None = None) -> list[str]:
    """Import the document if its CQPI has no version yet; otherwise only complete the CQPI.

    This is the reference data's rule (`load_reference_data`), which must be safe to run again:
    what exists is never overwritten, since the national administrator may have edited the CQPI
    or imported its official référentiel as a later version. Completing adds the document's
    missing adoptions and validates the CQPI once it can be. Returns what was done.
    """
    document = validate(raw, keep_existing=True)
    referentiel = Referentiel.objects.select_for_update().filter(code=document.code).first()
    if referentiel is None or not referentiel.versions.exists():
        return _load(document, by=by).lines
    return _complete(referentiel, document, by=by)


def import_file(path: str, *, by: Any | None = None, dry_run: bool = False) -> ImportResult:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ReferentielImportError(
            [_("Fichier illisible : %(error)s") % {"error": exc.strerror or exc}]
        ) from exc
    return import_document(parse_json(data), by=by, dry_run=dry_run)


def _load(document: ReferentielDocument, *, by: Any | None) -> ImportResult:
    referentiel = Referentiel.objects.select_for_update().filter(code=document.code).first()
    created = referentiel is None
    lines: list[str] = []
    warnings: list[str] = []
    if referentiel is None:
        referentiel = Referentiel.objects.create(
            code=document.code,
            title=document.title,
            description=document.description,
            level=document.level,
            eqf_level=document.eqf_level,
            nsf_codes=document.nsf_codes,
            illustrative=document.illustrative,
            status=ReferentielStatus.DRAFT,
        )
        lines.append(
            _("CQPI « %(title)s » (%(code)s) créé.")
            % {"title": referentiel.title, "code": referentiel.code}
        )
    else:
        lines.append(
            _("CQPI « %(title)s » (%(code)s) existant : ajout d'une nouvelle version.")
            % {"title": referentiel.title, "code": referentiel.code}
        )
        lines.extend(_update_identity(referentiel, document))

    if document.registration is not None:
        reg = document.registration
        if not Registration.objects.filter(code=reg.code).exists():
            Registration.objects.create(
                referentiel=referentiel,
                kind=reg.kind,
                code=reg.code,
                decision_date=reg.decision_date,
                valid_until=reg.valid_until,
            )
            lines.append(
                _("Enregistrement %(code)s ajouté (décision du %(decision)s, jusqu'au %(until)s).")
                % {
                    "code": reg.code,
                    "decision": _fmt(reg.decision_date),
                    "until": _fmt(reg.valid_until),
                }
            )

    previous = referentiel.versions.in_force().first()
    version = ReferentielVersion.objects.create(
        referentiel=referentiel,
        number=document.version_number,
        effective_from=document.effective_from,
        notes=document.notes,
        status=VersionStatus.DRAFT,
    )
    capacities = indicators = 0
    for b, bloc_data in enumerate(document.blocs, start=1):
        bloc = Bloc.objects.create(
            version=version, code=bloc_data.code, title=bloc_data.title, order=b
        )
        for c, capacity_data in enumerate(bloc_data.capacities, start=1):
            capacity = Capacity.objects.create(
                bloc=bloc, code=capacity_data.code, title=capacity_data.title, order=c
            )
            Indicator.objects.bulk_create(
                Indicator(
                    capacity=capacity,
                    label=item.label,
                    threshold=item.threshold,
                    max_mark=item.max_mark,
                    order=i,
                )
                for i, item in enumerate(capacity_data.indicators, start=1)
            )
            capacities += 1
            indicators += len(capacity_data.indicators)
    services.version_publish(version=version, by=by)
    lines.append(
        _(
            "Version %(number)d créée et mise en vigueur : %(blocs)d bloc(s), %(capacities)d capacité(s), %(indicators)d indicateur(s)."
        )
        % {
            "number": version.number,
            "blocs": len(document.blocs),
            "capacities": capacities,
            "indicators": indicators,
        }
    )
    if previous is not None:
        lines.append(
            _(
                "La version %(number)d est remplacée ; les dossiers ouverts sous cette version "
                "la conservent."
            )
            % {"number": previous.number}
        )

    for adoption in _adopt_missing(referentiel, document, by=by):
        lines.append(
            _("Adopté par la branche %(branch)s (accord du %(date)s).")
            % {"branch": adoption.branch.name, "date": _fmt(adoption.accord_date)}
        )

    referentiel.refresh_from_db()
    adopted = referentiel.adoptions.count()
    if referentiel.status == ReferentielStatus.DRAFT:
        if adopted >= services.MIN_ADOPTING_BRANCHES:
            services.referentiel_validate(referentiel=referentiel, by=by)
            lines.append(_("CQPI validé (adopté par %(count)d branches).") % {"count": adopted})
        else:
            warnings.append(
                _(
                    "Le CQPI reste en création : adopté par %(count)d branche(s), il en faut au "
                    "moins %(min)d pour le valider."
                )
                % {"count": adopted, "min": services.MIN_ADOPTING_BRANCHES}
            )
    elif referentiel.status == ReferentielStatus.WITHDRAWN:
        warnings.append(_("Ce CQPI est retiré : aucun dossier ne peut s'ouvrir sur cette version."))
    if not referentiel.registrations.filter(valid_until__gte=document.effective_from).exists():
        warnings.append(
            _("Aucun enregistrement RNCP/RS n'est valable à la date d'effet de la version.")
        )
    return ImportResult(
        referentiel=referentiel,
        version=version,
        created=created,
        dry_run=False,
        lines=lines,
        warnings=warnings,
    )


def _complete(
    referentiel: Referentiel, document: ReferentielDocument, *, by: Any | None
) -> list[str]:
    """An existing CQPI keeps its versions, identity and registrations; it gains the document's
    missing adoptions, and is validated if it is still in creation and now can be."""
    lines = [
        _("« %(title)s » adopté par la branche %(branch)s.")
        % {"title": referentiel.title, "branch": adoption.branch.name}
        for adoption in _adopt_missing(referentiel, document, by=by)
    ]
    referentiel.refresh_from_db()
    if (
        referentiel.status == ReferentielStatus.DRAFT
        and referentiel.adoptions.count() >= services.MIN_ADOPTING_BRANCHES
        and referentiel.versions.in_force().exists()
    ):
        services.referentiel_validate(referentiel=referentiel, by=by)
        lines.append(_("CQPI validé : %(title)s.") % {"title": referentiel.title})
    return lines


def _adopt_missing(
    referentiel: Referentiel, document: ReferentielDocument, *, by: Any | None
) -> list[AdoptionData]:
    """Adopt the CQPI for each branch of the document that has not yet; return those."""
    adopted = set(referentiel.adoptions.values_list("branch_id", flat=True))
    added: list[AdoptionData] = []
    for adoption in document.adoptions:
        if adoption.branch.pk in adopted:
            continue
        services.referentiel_adopt(
            referentiel=referentiel, branch=adoption.branch, accord_date=adoption.accord_date, by=by
        )
        adopted.add(adoption.branch.pk)
        added.append(adoption)
    return added


def _update_identity(referentiel: Referentiel, document: ReferentielDocument) -> list[str]:
    """The CQPI's identity follows the latest file; certificates already issued keep their
    snapshot, so this changes only what future certificates print."""
    labels = {
        "title": _("intitulé"),
        "description": _("description"),
        "level": _("niveau"),
        "eqf_level": _("niveau CEC"),
        "nsf_codes": _("codes NSF"),
        "illustrative": _("contenu illustratif"),
    }
    changed: list[str] = []
    for name in labels:
        new = getattr(document, name)
        if name in {"description", "level", "eqf_level", "nsf_codes"} and new == "":
            continue  # absent from the file: keep what is known
        if getattr(referentiel, name) != new:
            setattr(referentiel, name, new)
            changed.append(name)
    if changed:
        referentiel.save(update_fields=changed)
        return [
            _("Mis à jour : %(fields)s.") % {"fields": ", ".join(str(labels[n]) for n in changed)}
        ]
    return []
