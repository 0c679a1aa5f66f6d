"""The reference data command: 22 branches, 9 validated CQPI, idempotent, with a dry run."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from branches.models import Branch, CharterSignature
from certifications.data import loader
from certifications.data.loader import referentiel_files
from certifications.models import (
    Adoption,
    Bloc,
    Capacity,
    Indicator,
    Referentiel,
    ReferentielStatus,
    ReferentielVersion,
    Registration,
)
from certifications.referentiel_import import import_document

pytestmark = pytest.mark.django_db

SAMPLE = Path(settings.BASE_DIR) / "docs" / "samples" / "referentiel-sample.json"

# The note each shipped référentiel's version 1 carries (certifications/data/referentiels/).
ILLUSTRATIVE_NOTE = (
    "Contenu illustratif — à remplacer par le référentiel officiel via import_referentiel."
)

MODELS = [
    Branch,
    CharterSignature,
    Referentiel,
    Registration,
    ReferentielVersion,
    Bloc,
    Capacity,
    Indicator,
    Adoption,
]


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_reference_data", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def test_it_loads_the_22_branches_of_the_brochure_each_with_a_charter_signature() -> None:
    run()
    assert Branch.objects.count() == 22
    assert CharterSignature.objects.values("branch").distinct().count() == 22
    assert Branch.objects.get(code="metallurgie").name == "Métallurgie"
    assert Branch.objects.get(code="vente-a-distance").place_of_issue == "Paris"


def test_partial_validity_varies_between_branches() -> None:
    run()
    months = set(Branch.objects.values_list("partial_validity_months", flat=True))
    assert {60, 24, None} <= months


def test_every_cqpi_is_validated_adopted_twice_and_has_an_illustrative_version_in_force() -> None:
    run()
    assert Referentiel.objects.count() == 9
    for referentiel in Referentiel.objects.all():
        assert referentiel.status == ReferentielStatus.VALIDATED
        assert referentiel.illustrative
        assert referentiel.adoptions.count() >= 2
        assert referentiel.registrations.count() == 1
        version = referentiel.versions.in_force().get()
        assert ILLUSTRATIVE_NOTE in version.notes
        assert 3 <= version.blocs.count() <= 4


def test_vente_conseil_en_magasin_has_its_seven_domaines_de_competences() -> None:
    run()
    version = ReferentielVersion.objects.in_force().get(
        referentiel__title="Vente conseil en magasin"
    )
    assert Capacity.objects.filter(bloc__version=version).count() == 7


def test_running_it_twice_creates_nothing_more() -> None:
    run()
    before = counts()
    output = run()
    assert counts() == before
    assert "rien à faire" in output


def test_a_dry_run_reports_what_it_would_create_and_saves_nothing() -> None:
    output = run("--dry-run")
    assert "Branche créée : Métallurgie" in output
    assert "Simulation" in output
    assert all(count == 0 for count in counts().values())


def test_it_completes_a_missing_adoption_without_touching_existing_versions() -> None:
    run()
    referentiel = Referentiel.objects.get(code="agent-logistique")
    version_ids = set(ReferentielVersion.objects.values_list("pk", flat=True))
    Adoption.objects.filter(referentiel=referentiel, branch__code="chimie").delete()
    output = run()
    assert referentiel.adoptions.filter(branch__code="chimie").exists()
    assert "adopté par la branche Chimie" in output
    assert set(ReferentielVersion.objects.values_list("pk", flat=True)) == version_ids


def test_it_keeps_what_the_administrator_edited() -> None:
    run()
    Branch.objects.filter(code="chimie").update(signatory_name="Nom saisi par l'administrateur")
    run()
    assert Branch.objects.get(code="chimie").signatory_name == "Nom saisi par l'administrateur"


def test_it_leaves_alone_a_cqpi_whose_official_referentiel_was_imported() -> None:
    run()
    official = json.loads(SAMPLE.read_text(encoding="utf-8"))
    del official["illustrative"]
    import_document(official)
    Referentiel.objects.filter(code="technicien-qualite").update(description="Revue par l'admin")
    before = counts()

    output = run()

    assert counts() == before
    assert "rien à faire" in output
    referentiel = Referentiel.objects.get(code="agent-logistique")
    assert not referentiel.illustrative
    assert referentiel.versions.in_force().get().number == 2
    assert Referentiel.objects.get(code="technicien-qualite").description == "Revue par l'admin"


def test_a_shipped_file_the_importer_refuses_is_named_and_nothing_is_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in referentiel_files():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    broken = tmp_path / "04-agent-logistique.json"
    document = json.loads(broken.read_text(encoding="utf-8"))
    document["blocs"][0]["capacities"][0]["indicators"][0]["threshold"] = 5
    broken.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(loader, "REFERENTIELS_DIR", tmp_path)
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("load_reference_data", stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "04-agent-logistique.json : blocs[0].capacities[0].indicators[0].threshold : "
        "le seuil (5) dépasse la note maximale (4)"
    ]
    assert all(count == 0 for count in counts().values())
