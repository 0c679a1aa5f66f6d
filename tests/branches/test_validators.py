"""SIRET validation (Luhn key, La Poste's rule)."""

import pytest
from django.core.exceptions import ValidationError

from branches.validators import siret_is_valid, validate_siret


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # a real, published SIRET
        "35600000000048",  # La Poste head office: plain Luhn
        "35600000049837",  # a La Poste establishment: digits sum to a multiple of 5
        "732 829 320 00074",
    ],
)
def test_valid_sirets_pass(siret):
    validate_siret(siret)


@pytest.mark.parametrize(
    "siret",
    ["73282932000075", "7328293200007", "7328293200007A", "", "35600000049838"],
)
def test_invalid_sirets_are_refused_with_a_french_message(siret):
    with pytest.raises(ValidationError) as info:
        validate_siret(siret)
    assert "SIRET invalide" in info.value.messages[0]


def test_the_key_is_what_makes_it_valid():
    assert siret_is_valid("73282932000074")
    assert not siret_is_valid("73282932000073")
