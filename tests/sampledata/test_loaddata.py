"""The benchmark data set: shaped like the national scheme, consistent, reproducible by seed."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F

from candidates.models import Dossier, DossierStatus
from certifications.models import Certificate
from evaluations.models import Decision
from sampledata import loaddata
from sampledata.copier import table_problems
from sampledata.loaddata import TABLES, generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference_data() -> None:
    call_command("load_reference_data", verbosity=0, stdout=None)


def digest() -> str:
    rows = Dossier.objects.order_by("reference").values_list(
        "reference", "status", "access_route", "branch__code", "candidate__last_name"
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


class Rollback(Exception):
    pass


def generate_and_digest(seed: int) -> str:
    try:
        with transaction.atomic():
            generate(dossiers=400, seed=seed)
            value = digest()
            raise Rollback
    except Rollback:
        return value


def test_the_same_seed_gives_the_same_data_set(reference_data):
    first, again, other = generate_and_digest(7), generate_and_digest(7), generate_and_digest(8)
    assert first == again
    assert first != other


def test_the_data_set_has_the_national_shape(reference_data):
    generate(dossiers=1000, seed=3)
    assert Dossier.objects.count() == 1000
    sizes = sorted(
        Dossier.objects.values("branch").annotate(n=Count("pk")).values_list("n", flat=True)
    )
    assert len(sizes) == 22
    assert 0.2 <= sizes[-1] / 1000 <= 0.32  # the largest branch: about a quarter
    certified = Certificate.objects.count()
    assert 0.4 <= certified / 1000 <= 0.6  # certificates for about half the dossiers
    decided = Dossier.objects.filter(
        status__in=[DossierStatus.AWARDED, DossierStatus.PARTIALLY_AWARDED, DossierStatus.REFUSED]
    )
    assert Decision.objects.count() == decided.count()
    # Every dossier's history ends where the dossier stands.
    mismatched = [
        d.pk
        for d in Dossier.objects.prefetch_related("history")
        if d.history.all().reverse()[0].to_status != d.status
    ]
    assert mismatched == []


def test_load_branches_are_signed_and_snapshots_name_the_certifier(reference_data):
    from branches.models import Branch
    from certifications.compliance import branch_problems

    generate(dossiers=200, seed=5)
    for branch in Branch.objects.all():
        assert branch_problems(branch) == [], branch.code
    cpnefp = Branch.objects.get(code="vente-a-distance")
    assert cpnefp.certifier_name == "CPNEFP de la branche Vente à distance"
    for certificate in Certificate.objects.select_related("branch")[:50]:
        assert certificate.snapshot["certifier"] == certificate.branch.certifier_name


def test_numbers_continue_after_the_generated_ones(reference_data, django_user_model):
    from branches.models import Counter

    generate(dossiers=200, seed=5)
    dossier = Dossier.objects.order_by("-pk").first()
    assert dossier is not None
    number = int(dossier.reference.rsplit("-", 1)[1])
    counter = Counter.objects.get(
        branch=dossier.branch, kind="dossier", year=dossier.opened_on.year
    )
    assert counter.last_value >= number
    assert Certificate.objects.values("number").distinct().count() == Certificate.objects.count()


def test_it_writes_every_column_the_models_require() -> None:
    # A failure here names each model and column the generator leaves empty (sampledata.copier).
    assert table_problems(TABLES) == []


def test_it_refuses_to_start_when_a_required_column_is_not_written(reference_data, monkeypatch):
    behind = tuple(column for column in TABLES[Dossier] if column != "reference")
    monkeypatch.setitem(loaddata.TABLES, Dossier, behind)
    with pytest.raises(
        RuntimeError, match=r"candidates\.Dossier\.reference: the column is NOT NULL"
    ):
        generate(dossiers=100, seed=1)
    assert not Dossier.objects.exists()


def test_the_command_prints_what_it_wrote(reference_data):
    out = StringIO()
    call_command("generate_load_data", "--dossiers", "200", "--seed", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert "  candidates.Dossier: 200" in lines
    assert any(line.startswith("200 dossiers, ") for line in lines)
    assert lines[-1].startswith("done in ")


def test_every_grid_and_seat_comes_with_its_grant(reference_data):
    """The scoping querysets read the grants: without them the benchmark's evaluators and
    jury members would find nothing (a 404 on every grid)."""
    from evaluations.models import EvaluationSheet, JurySession
    from evaluations.selectors import sheets_of

    generate(dossiers=300, seed=4)
    sheet = EvaluationSheet.objects.select_related("evaluator").order_by("pk").first()
    assert sheet is not None
    assert sheets_of(user=sheet.evaluator).filter(pk=sheet.pk).exists()
    assert Dossier.objects.visible_to(sheet.evaluator).filter(evaluations__sheets=sheet).exists()
    granted = EvaluationSheet.objects.filter(evaluation__grants__user_id=F("evaluator_id"))
    assert granted.distinct().count() == EvaluationSheet.objects.count()
    seats = JurySession.objects.values_list("members__user_id", "pk").exclude(members=None)
    assert seats
    for user_id, session_id in seats:
        assert JurySession.objects.filter(
            pk=session_id, grants__user_id=user_id, grants__permission__codename="sit_on_session"
        ).exists()
