"""import_referentiel: the JSON format, a new CQPI or a new version, every error reported."""

from __future__ import annotations

import copy
import datetime
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from branches.models import Membership, Role
from candidates import services as dossier_services
from candidates.models import AccessRoute
from certifications.models import (
    Adoption,
    Bloc,
    Capacity,
    Indicator,
    Referentiel,
    ReferentielStatus,
    ReferentielVersion,
    Registration,
    VersionStatus,
)
from certifications.referentiel_import import ReferentielImportError, import_document
from tests.factories import BranchFactory, CandidateFactory, ReferentielFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(settings.BASE_DIR) / "docs" / "samples" / "referentiel-sample.json"
SAMPLE_BRANCHES = ("commerce-distribution", "metallurgie", "vente-a-distance")


@pytest.fixture
def branches() -> dict[str, Any]:
    return {
        code: BranchFactory.create(code=code, name=f"Branche {code}") for code in SAMPLE_BRANCHES
    }


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def as_version_one(document: dict[str, Any]) -> dict[str, Any]:
    first = copy.deepcopy(document)
    first["version"] = {"number": 1, "effective_from": "2024-01-01", "notes": "Première version"}
    first["blocs"] = first["blocs"][:2]
    return first


def write(tmp_path: Path, content: str | dict[str, Any]) -> str:
    path = tmp_path / "referentiel.json"
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(path: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_referentiel", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path: str) -> str:
    """Run the command expecting a refusal; return every error it printed."""
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_referentiel", path, stdout=StringIO(), stderr=err)
    return err.getvalue() + str(info.value)


def counts() -> tuple[int, ...]:
    models = (Referentiel, Registration, ReferentielVersion, Bloc, Capacity, Indicator, Adoption)
    return tuple(model._default_manager.count() for model in models)


def errors_of(document: Any) -> list[str]:
    with pytest.raises(ReferentielImportError) as info:
        import_document(document)
    return info.value.errors


# --- Importing ---------------------------------------------------------------


def test_the_sample_creates_a_validated_cqpi_with_its_whole_content(
    branches: dict[str, Any], tmp_path: Path
) -> None:
    output, _err = run(str(SAMPLE))
    referentiel = Referentiel.objects.get(code="agent-logistique")
    assert referentiel.status == ReferentielStatus.VALIDATED
    assert referentiel.adoptions.count() == 3
    assert referentiel.registrations.get().code == "RNCP99004"
    version = referentiel.versions.in_force().get()
    assert version.number == 2
    assert [b.code for b in version.blocs.order_by("order")] == ["BC01", "BC02", "BC03", "BC04"]
    assert Capacity.objects.filter(bloc__version=version).count() == 9
    assert Indicator.objects.filter(capacity__bloc__version=version).count() == 19
    assert "Import terminé" in output


def test_an_indicator_without_max_mark_is_marked_out_of_four(branches: dict[str, Any]) -> None:
    document = sample()
    del document["blocs"][0]["capacities"][0]["indicators"][0]["max_mark"]
    import_document(document)
    indicator = Indicator.objects.get(label__startswith="La conformité de la livraison")
    assert (indicator.threshold, indicator.max_mark) == (3, 4)


def test_a_dry_run_shows_what_it_would_do_and_saves_nothing(branches: dict[str, Any]) -> None:
    output, _err = run(str(SAMPLE), "--dry-run")
    assert "Simulation" in output
    assert "Version 2 créée" in output
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_second_version_retires_the_first_and_the_open_dossier_keeps_version_one(
    branches: dict[str, Any],
) -> None:
    import_document(as_version_one(sample()))
    first = ReferentielVersion.objects.get(referentiel__code="agent-logistique", number=1)
    first_capacities = set(Capacity.objects.filter(bloc__version=first).values_list("pk", "title"))
    branch = branches["commerce-distribution"]
    staff: Any = UserFactory.create()
    Membership.objects.create(user=staff, branch=branch, role=Role.STAFF)
    candidate: Any = CandidateFactory.create(branch=branch)
    dossier = dossier_services.dossier_open(
        candidate=candidate,
        version=first,
        access_route=AccessRoute.CONTINUING,
        by=staff,
    )

    result = import_document(sample())

    first.refresh_from_db()
    dossier.refresh_from_db()
    assert first.status == VersionStatus.RETIRED
    assert result.version.status == VersionStatus.IN_FORCE
    assert dossier.version_id == first.pk
    assert set(Capacity.objects.filter(bloc__version=first).values_list("pk", "title")) == (
        first_capacities
    )


def test_an_official_version_clears_the_illustrative_flag(branches: dict[str, Any]) -> None:
    import_document(as_version_one(sample()))
    official = sample()
    del official["illustrative"]
    import_document(official)
    assert not Referentiel.objects.get(code="agent-logistique").illustrative


def test_reimporting_the_same_version_is_refused_and_changes_nothing(
    branches: dict[str, Any],
) -> None:
    import_document(sample())
    before = counts()
    errors = errors_of(sample())
    assert errors == [
        "version.number : la version 2 n'est pas nouvelle : ce CQPI a déjà une version 2, et le "
        "contenu d'une version existante n'est jamais modifié (numérotez 3 ou plus)"
    ]
    assert counts() == before


def test_a_cqpi_adopted_by_one_branch_stays_in_creation_with_a_warning(
    branches: dict[str, Any],
) -> None:
    document = sample()
    document["adoptions"] = document["adoptions"][:1]
    result = import_document(document)
    assert result.referentiel.status == ReferentielStatus.DRAFT
    assert "il en faut au moins 2" in result.warnings[0]


# --- Refusals: each reports a clear error and changes nothing -----------------


def test_invalid_json_is_refused_with_its_line(branches: dict[str, Any], tmp_path: Path) -> None:
    message = refused(write(tmp_path, '{"code": "agent-logistique",\n  "title": }'))
    assert "JSON invalide (ligne 2" in message
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "Fichier illisible" in refused(str(tmp_path / "absent.json"))


def test_missing_fields_are_reported_with_their_path(
    branches: dict[str, Any], tmp_path: Path
) -> None:
    document = sample()
    del document["title"]
    del document["version"]["effective_from"]
    del document["blocs"][1]["capacities"][0]["indicators"][1]["label"]
    message = refused(write(tmp_path, document))
    assert "title : champ obligatoire manquant" in message
    assert "version.effective_from : champ obligatoire manquant" in message
    assert "blocs[1].capacities[0].indicators[1].label : champ obligatoire manquant" in message
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_threshold_above_the_maximum_mark_is_refused(
    branches: dict[str, Any], tmp_path: Path
) -> None:
    document = sample()
    document["blocs"][1]["capacities"][0]["indicators"][1]["threshold"] = 5
    message = refused(write(tmp_path, document))
    assert (
        "blocs[1].capacities[0].indicators[1].threshold : le seuil (5) dépasse la note "
        "maximale (4)" in message
    )
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_duplicate_bloc_and_capacity_codes_are_refused(
    branches: dict[str, Any], tmp_path: Path
) -> None:
    document = sample()
    document["blocs"][2]["code"] = "BC01"
    document["blocs"][3]["capacities"][1]["code"] = "C1.2"
    message = refused(write(tmp_path, document))
    assert "blocs[2].code : code « BC01 » déjà utilisé par blocs[0]" in message
    assert (
        "blocs[3].capacities[1].code : code « C1.2 » déjà utilisé par blocs[0].capacities[1]"
        in message
    )
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_an_unknown_branch_code_is_refused(branches: dict[str, Any], tmp_path: Path) -> None:
    document = sample()
    document["adoptions"][1]["branch_code"] = "metalurgie"
    message = refused(write(tmp_path, document))
    assert "adoptions[1].branch_code : branche inconnue « metalurgie »" in message
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_registration_longer_than_five_years_is_refused(
    branches: dict[str, Any], tmp_path: Path
) -> None:
    document = sample()
    document["registration"]["valid_until"] = "2028-06-30"
    message = refused(write(tmp_path, document))
    assert "registration.valid_until : un enregistrement dure au plus 5 ans" in message
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_registration_code_of_another_cqpi_is_refused(branches: dict[str, Any]) -> None:
    other: Any = ReferentielFactory.create()
    Registration.objects.create(
        referentiel=other,
        kind="rncp",
        code="RNCP99004",
        decision_date=datetime.date(2023, 1, 1),
        valid_until=datetime.date(2028, 1, 1),
    )
    errors = errors_of(sample())
    assert errors == [
        "registration.code : le code RNCP99004 est déjà enregistré pour un autre CQPI"
    ]


def test_every_error_of_a_file_is_reported_at_once(branches: dict[str, Any]) -> None:
    document = sample()
    document["typo"] = 1
    document["code"] = "Agent Logistique"
    document["level"] = "9"
    document["registration"]["code"] = "RS1234"
    document["blocs"][0]["capacities"][0]["indicators"][0]["threshold"] = True
    document["blocs"][3]["capacities"] = []
    errors = errors_of(document)
    assert [error.split(" : ")[0] for error in errors] == [
        "typo",
        "code",
        "level",
        "registration.code",
        "blocs[0].capacities[0].indicators[0].threshold",
        "blocs[3].capacities",
    ]
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_document_that_is_not_an_object_is_refused() -> None:
    assert errors_of([1, 2]) == ["le document doit être un objet JSON ({…})."]


def test_the_sample_adds_a_version_to_the_reference_data() -> None:
    call_command("load_reference_data", stdout=StringIO())
    output, _err = run(str(SAMPLE))
    referentiel = Referentiel.objects.get(code="agent-logistique")
    assert list(referentiel.versions.values_list("number", "status").order_by("number")) == [
        (1, VersionStatus.RETIRED),
        (2, VersionStatus.IN_FORCE),
    ]
    assert "La version 1 est remplacée" in output
