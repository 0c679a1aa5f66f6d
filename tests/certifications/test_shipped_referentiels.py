"""The 9 CQPI shipped as JSON files: each passes the importer's validation, and loading them
gives the rows the former Python catalogue (certifications/data/catalogue.py) gave."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from certifications.data.branches import BRANCHES
from certifications.data.loader import load_reference_data, referentiel_files
from certifications.models import Bloc, Capacity, Indicator, Referentiel
from certifications.referentiel_import import parse_json, validate
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

# Taken from a run of the former loader, before catalogue.py was deleted: per CQPI, in loading
# order, its registration, adopting branches, and bloc code -> capacity code -> indicator count.
FORMER_CATALOGUE: dict[str, tuple[str, list[str], dict[str, dict[str, int]]]] = {
    "conducteur-equipements-industriels": (
        "RNCP99001",
        [
            "metallurgie",
            "chimie",
            "agroalimentaire",
            "papiers-cartons",
            "caoutchouc",
            "textile",
            "eaux-boissons-biere",
            "medicament",
        ],
        {
            "BC01": {"C1.1": 3, "C1.2": 2, "C1.3": 2},
            "BC02": {"C2.1": 2, "C2.2": 3, "C2.3": 2},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
    "technicien-maintenance-industrielle": (
        "RNCP99002",
        ["metallurgie", "chimie", "agroalimentaire", "papiers-cartons", "caoutchouc", "medicament"],
        {
            "BC01": {"C1.1": 3, "C1.2": 2, "C1.3": 2},
            "BC02": {"C2.1": 2, "C2.2": 2},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
    "operateur-maintenance-industrielle": (
        "RNCP99003",
        ["metallurgie", "chimie", "agroalimentaire", "papiers-cartons", "textile"],
        {
            "BC01": {"C1.1": 2, "C1.2": 2},
            "BC02": {"C2.1": 2, "C2.2": 3},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
    "agent-logistique": (
        "RNCP99004",
        [
            "commerce-distribution",
            "agroalimentaire",
            "metallurgie",
            "chimie",
            "vente-a-distance",
            "recuperation",
            "grands-magasins",
        ],
        {
            "BC01": {"C1.1": 3, "C1.2": 2, "C1.3": 2},
            "BC02": {"C2.1": 2, "C2.2": 2, "C2.3": 2},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
    "technicien-qualite": (
        "RNCP99005",
        ["metallurgie", "chimie", "agroalimentaire", "medicament"],
        {
            "BC01": {"C1.1": 2, "C1.2": 2},
            "BC02": {"C2.1": 2, "C2.2": 2, "C2.3": 2},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
    "operateur-qualite": (
        "RNCP99006",
        ["metallurgie", "chimie", "textile", "habillement", "maroquinerie", "chaussure"],
        {
            "BC01": {"C1.1": 2, "C1.2": 2},
            "BC02": {"C2.1": 2, "C2.2": 3},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
    "animateur-equipe-industriel": (
        "RNCP99007",
        ["metallurgie", "chimie", "agroalimentaire", "papiers-cartons", "ameublement"],
        {
            "BC01": {"C1.1": 2, "C1.2": 2},
            "BC02": {"C2.1": 2, "C2.2": 2},
            "BC03": {"C3.1": 2, "C3.2": 2},
            "BC04": {"C4.1": 2, "C4.2": 2, "C4.3": 2},
        },
    ),
    "vente-conseil-magasin": (
        "RNCP99008",
        ["commerce-distribution", "grands-magasins", "habillement"],
        {
            "BC01": {"C1.1": 2, "C1.2": 2, "C1.3": 3},
            "BC02": {"C2.1": 2, "C2.2": 2},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
    "vente-conseil-distance": (
        "RNCP99009",
        ["vente-a-distance", "commerce-distribution", "grands-magasins"],
        {
            "BC01": {"C1.1": 2, "C1.2": 2},
            "BC02": {"C2.1": 2, "C2.2": 3},
            "BC03": {"C3.1": 2, "C3.2": 2},
        },
    ),
}
# Indicators whose threshold is the maximum mark (safety, conformity), per CQPI.
FORMER_CRITICAL = {code: 1 for code in list(FORMER_CATALOGUE)[:7]} | {
    "vente-conseil-magasin": 0,
    "vente-conseil-distance": 0,
}


def file_id(path: Path) -> str:
    return path.name


def test_the_nine_files_are_numbered_in_loading_order_and_named_for_their_cqpi() -> None:
    files = referentiel_files()
    assert [path.name for path in files] == [
        f"{n:02d}-{code}.json" for n, code in enumerate(FORMER_CATALOGUE, start=1)
    ]
    for path in files:
        match = re.fullmatch(r"\d{2}-(.+)\.json", path.name)
        assert match is not None
        assert parse_json(path.read_bytes())["code"] == match.group(1)


@pytest.mark.parametrize("path", referentiel_files(), ids=file_id)
def test_each_file_passes_the_importers_validation_as_a_new_cqpi(path: Path) -> None:
    for branch in BRANCHES:
        BranchFactory.create(code=branch.code, name=branch.name)
    document = validate(parse_json(path.read_bytes()))
    assert document.illustrative
    assert document.version_number == 1
    assert document.registration is not None


def test_loading_them_gives_the_rows_of_the_former_python_catalogue() -> None:
    load_reference_data()
    loaded = {}
    critical = {}
    for referentiel in Referentiel.objects.order_by("pk"):
        version = referentiel.versions.in_force().get()
        loaded[referentiel.code] = (
            referentiel.registrations.get().code,
            list(referentiel.adoptions.order_by("pk").values_list("branch__code", flat=True)),
            {
                bloc.code: {
                    capacity.code: capacity.indicators.count()
                    for capacity in bloc.capacities.order_by("order")
                }
                for bloc in version.blocs.order_by("order")
            },
        )
        critical[referentiel.code] = Indicator.objects.filter(
            capacity__bloc__version=version, threshold=4, max_mark=4
        ).count()
    assert list(loaded) == list(FORMER_CATALOGUE)
    assert loaded == FORMER_CATALOGUE
    assert critical == FORMER_CRITICAL
    assert (Bloc.objects.count(), Capacity.objects.count(), Indicator.objects.count()) == (
        28,
        64,
        136,
    )
