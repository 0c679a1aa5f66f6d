"""Validators of French identifiers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# La Poste's establishments share one SIREN and follow their own checksum rule.
_LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_is_valid(value: str) -> bool:
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith(_LA_POSTE_SIREN) and value != _LA_POSTE_SIREN + "00048":
        return sum(int(c) for c in value) % 5 == 0
    return luhn_valid(value)


def normalize_siret(value: str) -> str:
    return "".join(value.split())


def validate_siret(value: str) -> None:
    if not siret_is_valid(normalize_siret(value)):
        raise ValidationError(
            _("Numéro SIRET invalide : 14 chiffres dont la clé de contrôle doit être juste."),
            code="invalid_siret",
        )
