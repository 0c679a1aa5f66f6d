"""The holder's identity as the CDC declaration (Passeport de compétences) asks for it.

The flux's `titulaire` (cpf-accrochage 1.1.2): birth name (`Candidate.last_name`), usage
name (`usage_name`, nil when empty), first names 1–3 (`first_name`, `first_name_2`,
`first_name_3`), birth date (`birth_date`), sex M/F, the birth commune as an INSEE code (5
characters, Corsica 2A/2B; "99" + the country's code for a person born abroad) or a French
postal code, its label (`birth_place`), and the birth country as its 3-digit INSEE code
(France 100) with its label.

One set of rules, read by the creation form, the import, the staff correction service and
the declaration (`identity_gaps`): each returns its problems as French sentences.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from core.text import format_characters

FRANCE_COUNTRY_CODE = "100"
ABROAD_PREFIX = "99"
NAME_MAX = 60  # the schema's limit on every name
LABEL_MAX = 60

_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_POSTAL = re.compile(r"^\d{5}$")
_COUNTRY = re.compile(r"^\d{3}$")

# The identity fields a service may set, with their French labels (for errors and audit).
IDENTITY_FIELDS = (
    "last_name",
    "usage_name",
    "first_name",
    "first_name_2",
    "first_name_3",
    "sex",
    "birth_date",
    "birth_place",
    "birth_insee_code",
    "birth_postal_code",
    "birth_country_code",
    "birth_country_label",
)

TEXT_FIELDS = (
    "last_name",
    "usage_name",
    "first_name",
    "first_name_2",
    "first_name_3",
    "birth_place",
    "birth_country_label",
)


def field_label(name: str) -> str:
    return {
        "last_name": _("nom de naissance"),
        "usage_name": _("nom d'usage"),
        "first_name": _("premier prénom"),
        "first_name_2": _("deuxième prénom"),
        "first_name_3": _("troisième prénom"),
        "sex": _("sexe"),
        "birth_date": _("date de naissance"),
        "birth_place": _("commune de naissance (libellé)"),
        "birth_insee_code": _("code INSEE de la commune de naissance"),
        "birth_postal_code": _("code postal de la commune de naissance"),
        "birth_country_code": _("code du pays de naissance"),
        "birth_country_label": _("pays de naissance"),
    }[name]


def normalise(values: dict[str, Any]) -> dict[str, Any]:
    """Trimmed text, codes in capitals; a person born abroad without a commune code gets
    "99" + their country's code, the INSEE code of a birth abroad."""
    out = dict(values)
    for name in (*TEXT_FIELDS, "birth_insee_code", "birth_postal_code", "birth_country_code"):
        if name in out and out[name] is not None:
            out[name] = str(out[name]).strip()
    for name in ("birth_insee_code", "sex"):
        if out.get(name):
            out[name] = out[name].upper()
    country = out.get("birth_country_code") or ""
    if (
        _COUNTRY.match(country)
        and country != FRANCE_COUNTRY_CODE
        and not out.get("birth_insee_code")
        and not out.get("birth_postal_code")
        and "birth_insee_code" in out
    ):
        out["birth_insee_code"] = ABROAD_PREFIX + country
    if (
        country == FRANCE_COUNTRY_CODE
        and not out.get("birth_country_label")
        and "birth_country_label" in out
    ):
        out["birth_country_label"] = "France"
    return out


def identity_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with the identity fields given (each may be empty: then it is
    "à compléter", not wrong), per field."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in ("usage_name", "first_name_2", "first_name_3", "birth_country_label"):
        value = values.get(name) or ""
        if len(value) > NAME_MAX:
            add(
                name,
                _("%(field)s : %(max)d caractères au plus.")
                % {"field": field_label(name).capitalize(), "max": NAME_MAX},
            )
        if format_characters(value):
            add(
                name,
                _("%(field)s : caractère invisible de mise en forme.")
                % {"field": field_label(name).capitalize()},
            )
    if values.get("first_name_3") and not values.get("first_name_2"):
        add("first_name_3", _("Un troisième prénom suppose un deuxième prénom."))
    sex = values.get("sex") or ""
    if sex and sex not in ("M", "F"):
        add("sex", _("Le sexe s'indique M ou F."))
    insee = values.get("birth_insee_code") or ""
    postal = values.get("birth_postal_code") or ""
    country = values.get("birth_country_code") or ""
    if insee and not _INSEE.match(insee):
        add(
            "birth_insee_code",
            _(
                "Le code INSEE d'une commune a 5 caractères : 5 chiffres, ou 2A / 2B suivi de "
                "3 chiffres pour la Corse (« %(value)s »)."
            )
            % {"value": insee},
        )
    if postal and not _POSTAL.match(postal):
        add(
            "birth_postal_code",
            _("Un code postal français a 5 chiffres (« %(value)s »).") % {"value": postal},
        )
    if insee and postal:
        add(
            "birth_postal_code",
            _("Donnez le code INSEE de la commune ou, à défaut, son code postal, pas les deux."),
        )
    if country and not _COUNTRY.match(country):
        add(
            "birth_country_code",
            _(
                "Le code du pays de naissance est le code INSEE du pays, 3 chiffres (100 pour "
                "la France, 134 pour l'Espagne…) (« %(value)s »)."
            )
            % {"value": country},
        )
    elif country:
        abroad = country != FRANCE_COUNTRY_CODE
        if abroad and postal:
            add(
                "birth_postal_code",
                _("Une personne née à l'étranger n'a pas de code postal de naissance."),
            )
        if abroad and insee and _INSEE.match(insee) and insee != ABROAD_PREFIX + country:
            add(
                "birth_insee_code",
                _(
                    "Pour une personne née à l'étranger, le code INSEE de naissance est 99 "
                    "suivi du code du pays (%(expected)s)."
                )
                % {"expected": ABROAD_PREFIX + country},
            )
        if not abroad and insee.startswith(ABROAD_PREFIX):
            add(
                "birth_insee_code",
                _("Un code commençant par 99 désigne un pays étranger, pas une commune de France."),
            )
    return errors


def identity_gaps(candidate: Any) -> list[str]:
    """Why this candidate's identity cannot be declared yet, as French sentences; empty
    when it can. Missing fields make the candidate "à compléter"."""
    values = {name: getattr(candidate, name, "") for name in IDENTITY_FIELDS}
    missing = [
        field_label(name)
        for name in ("sex", "birth_country_code", "birth_country_label", "birth_place")
        if not values.get(name)
    ]
    if not values.get("birth_insee_code") and not values.get("birth_postal_code"):
        missing.insert(1, _("code INSEE ou postal de la commune de naissance"))
    gaps = []
    if missing:
        gaps.append(_("Identité à compléter : %(fields)s.") % {"fields": ", ".join(missing)})
    for name in ("last_name", "first_name"):
        if len(values.get(name) or "") > NAME_MAX:
            gaps.append(
                _("%(field)s trop long pour la déclaration (%(max)d caractères au plus).")
                % {"field": field_label(name).capitalize(), "max": NAME_MAX}
            )
    birth_date = getattr(candidate, "birth_date", None)
    if birth_date is not None and not 1900 <= birth_date.year <= 2099:
        gaps.append(_("Année de naissance hors des limites de la déclaration (1900–2099)."))
    for messages in identity_errors(values).values():
        gaps.extend(messages)
    return gaps


def is_complete(candidate: Any) -> bool:
    return not identity_gaps(candidate)
