"""A person's identity as it is compared across branches and records: names normalised, birth
date and place, exactly — no fuzzy matching, no guess.

Every room that must tell whether two records name the same person (a candidate and a
national `Person`, a historic certificate and its holder, a certificate presented for
recognition) builds a `NormalisedIdentity` with `normalised_identity` and compares them
with `NormalisedIdentity.matches`. The candidates room stores `NormalisedIdentity.key` on
each person (indexed) so a match is one indexed lookup, then checked on the place.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# The INSEE country code of France, and the prefix of the "commune" code of a birth abroad.
_FRANCE = "100"
_ABROAD = "99"
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—'’`´.,]+")


def normalise_name(text: str | None) -> str:
    """A name as compared: accents dropped, case folded, hyphens, apostrophes and runs of
    spaces made one space ("Lefèvre-Dupont" == "LEFEVRE DUPONT" == "lefevre  dupont")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Ligatures NFKD keeps, spelt out as civil status does (casefold spells out ß).
    bare = bare.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return _SEPARATORS.sub(" ", bare.casefold()).strip()


@dataclass(frozen=True)
class NormalisedIdentity:
    """The parts of an identity that decide a match.

    `place_code` is the birth commune's INSEE code ("99" + the country's code for a birth
    abroad), else empty; `place_label` the normalised label of the birth place."""

    last_name: str
    first_name: str
    birth_date: datetime.date | None
    place_code: str
    place_label: str

    @property
    def key(self) -> str:
        """Birth name, first first-name and birth date: what an index finds candidates by.
        Equal keys are a match only if `matches` also agrees on the place."""
        born = self.birth_date.isoformat() if self.birth_date else ""
        return f"{self.last_name}|{self.first_name}|{born}"

    @property
    def complete(self) -> bool:
        return bool(
            self.last_name
            and self.first_name
            and self.birth_date
            and (self.place_code or self.place_label)
        )

    def matches(self, other: NormalisedIdentity) -> bool:
        """The same person: same names and birth date, and the same birth place — by INSEE
        code when both records have one, else by the place's label."""
        if not (self.complete and other.complete) or self.key != other.key:
            return False
        if self.place_code and other.place_code:
            return self.place_code == other.place_code
        return bool(self.place_label) and self.place_label == other.place_label


def normalised_identity(
    *,
    last_name: str,
    first_name: str,
    birth_date: datetime.date | None,
    birth_place: str = "",
    birth_insee_code: str = "",
    birth_country_code: str = "",
) -> NormalisedIdentity:
    """The identity as compared. `first_name` is the first of the first names (a second
    or third first name, often missing from older records, does not decide); the usage name
    never does (it changes with marriage)."""
    code = (birth_insee_code or "").strip().upper()
    country = (birth_country_code or "").strip()
    if not code and country and country != _FRANCE:
        code = _ABROAD + country
    return NormalisedIdentity(
        last_name=normalise_name(last_name),
        first_name=normalise_name((first_name or "").split(",")[0]),
        birth_date=birth_date,
        place_code=code,
        place_label=normalise_name(birth_place),
    )


def identity_of(record: Any) -> NormalisedIdentity:
    """The identity of any record holding a person's civil status under the house's field
    names (a candidate, the national person, a certificate issued before the platform)."""
    return normalised_identity(
        last_name=record.last_name,
        first_name=record.first_name,
        birth_date=record.birth_date,
        birth_place=record.birth_place,
        birth_insee_code=record.birth_insee_code,
        birth_country_code=record.birth_country_code,
    )
