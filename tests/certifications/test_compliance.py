"""The compliance gate: every condition refuses issuance with its message, and nothing is issued."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from branches.models import Counter
from candidates.models import DossierStatus
from certifications import compliance, rendering
from certifications.compliance import NonCompliant
from certifications.models import (
    Capacity,
    Certificate,
    Registration,
    RegistrationKind,
    VersionStatus,
)
from certifications.services import certificate_reissue
from evaluations import services as evaluation_services
from evaluations.models import Decision, Outcome
from sampledata.jury import jury_decides
from tests.factories import CandidateFactory
from tests.workflow import award, open_session, ready_for_jury


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staged(cast: Any) -> tuple[Any, Any]:
    """A dossier on the agenda of an open session, awaiting its decision."""
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    return session, dossier


def record_award(cast: Any, staged: tuple[Any, Any]) -> Any:
    session, dossier = staged
    return jury_decides(
        session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer
    )


def refused(cast: Any, staged: tuple[Any, Any]) -> NonCompliant:
    """Record an award, expect the gate's refusal, and check that nothing was issued."""
    _session, dossier = staged
    with pytest.raises(NonCompliant) as caught:
        record_award(cast, staged)
    assert caught.value.code == "non_compliant"
    assert not Certificate.objects.exists()
    assert not Decision.objects.filter(dossier=dossier).exists()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SCHEDULED
    assert not Counter.objects.filter(kind="certificate").exists()  # no number spent
    return caught.value


def capacity_ids(cast: Any) -> list[int]:
    return list(Capacity.objects.filter(bloc__version=cast.version).values_list("pk", flat=True))


def codes(error: NonCompliant) -> list[str]:
    return [problem.code for problem in error.problems]


# --- The branch's settings ---------------------------------------------------------------


def test_a_compliant_dossier_is_issued(cast, staged):
    decision = record_award(cast, staged)
    certificate = decision.certificates.get()
    assert certificate.snapshot["certifier"] == "CPNE de la branche Branche Alpha"
    assert certificate.snapshot["signatory"]["image"].startswith("data:image/png;base64,")


def test_it_refuses_when_the_certifier_is_not_named(cast, staged):
    cast.branch_a.certifier_name = ""
    cast.branch_a.save()
    error = refused(cast, staged)
    assert codes(error) == ["certifier_missing"]
    assert "L'organisme certificateur n'est pas nommé" in error.message
    assert (
        "paramètres de la branche Branche Alpha, rubrique « Certificats et attestations »"
        in error.message
    )


def test_it_refuses_without_a_signatory(cast, staged):
    cast.branch_a.signatory_name = "  "
    cast.branch_a.save()
    error = refused(cast, staged)
    assert codes(error) == ["signatory_missing"]
    assert "Aucun signataire n'est désigné" in error.message


def test_it_refuses_without_the_signatory_title(cast, staged):
    cast.branch_a.signatory_title = ""
    cast.branch_a.save()
    error = refused(cast, staged)
    assert codes(error) == ["signatory_title_missing"]
    assert "La qualité du signataire manque" in error.message


def test_it_refuses_without_a_signature_image(cast, staged):
    cast.branch_a.signatory_image = ""
    cast.branch_a.save()
    error = refused(cast, staged)
    assert codes(error) == ["signature_image_missing"]
    assert "La signature (image) est absente ou inutilisable" in error.message


def test_it_refuses_a_signature_that_is_not_an_image(cast, staged):
    cast.branch_a.signatory_image.save("signature.png", ContentFile(b"<svg onload=alert(1)>"))
    assert codes(refused(cast, staged)) == ["signature_image_missing"]


def test_it_lists_every_problem_at_once(cast, staged):
    cast.branch_a.certifier_name = ""
    cast.branch_a.signatory_name = ""
    cast.branch_a.save()
    error = refused(cast, staged)
    assert codes(error) == ["certifier_missing", "signatory_missing"]
    assert "(1) L'organisme certificateur" in error.message
    assert "(2) Aucun signataire" in error.message


# --- The dossier on the decision date ----------------------------------------------------


def test_it_refuses_when_the_registration_lapsed_before_the_decision(cast, staged):
    registration = cast.referentiel.registrations.get()
    Registration.objects.filter(pk=registration.pk).update(
        decision_date=datetime.date(2017, 1, 10), valid_until=datetime.date(2022, 1, 10)
    )
    error = refused(cast, staged)
    assert codes(error) == ["registration_invalid"]
    assert f"L'enregistrement {registration.code}" in error.message
    assert "a pris fin le 10/01/2022" in error.message


def test_it_refuses_when_the_registration_is_not_yet_in_force(cast, staged):
    later = timezone.localdate() + datetime.timedelta(days=30)
    cast.referentiel.registrations.update(
        decision_date=later, valid_until=later + datetime.timedelta(days=365)
    )
    error = refused(cast, staged)
    assert codes(error) == ["registration_invalid"]
    assert "n'a aucun enregistrement RNCP ou RS valable le" in error.message


def test_it_refuses_a_cqpi_without_any_registration(cast, staged):
    cast.referentiel.registrations.all().delete()
    assert codes(refused(cast, staged)) == ["registration_invalid"]


def test_the_registration_valid_on_the_decision_date_is_printed_not_a_lapsed_one(cast, staged):
    cast.referentiel.registrations.update(
        decision_date=datetime.date(2017, 1, 10), valid_until=datetime.date(2022, 1, 10)
    )
    Registration.objects.create(
        referentiel=cast.referentiel,
        kind=RegistrationKind.RS,
        code="RS9999",
        decision_date=datetime.date(2022, 1, 11),
        valid_until=timezone.localdate() + datetime.timedelta(days=400),
    )
    certificate = record_award(cast, staged).certificates.get()
    assert certificate.snapshot["registration"]["code"] == "RS9999"
    assert "RS9999" in rendering.certificate_html(certificate)


def test_it_refuses_when_the_version_is_not_yet_in_force(cast, staged):
    later = timezone.localdate() + datetime.timedelta(days=10)
    type(cast.version).objects.filter(pk=cast.version.pk).update(effective_from=later)
    error = refused(cast, staged)
    assert codes(error) == ["version_not_in_force"]
    assert "La version 1 du référentiel « Agent logistique » n'est pas en vigueur" in error.message


def test_it_refuses_a_draft_version(cast, staged):
    type(cast.version).objects.filter(pk=cast.version.pk).update(status=VersionStatus.DRAFT)
    assert codes(refused(cast, staged)) == ["version_not_in_force"]


def test_a_replaced_version_still_issues_for_its_dossiers(cast, staged):
    type(cast.version).objects.filter(pk=cast.version.pk).update(status=VersionStatus.RETIRED)
    assert record_award(cast, staged).certificates.exists()


def test_it_refuses_when_the_holder_birth_place_is_missing(cast, staged):
    _session, dossier = staged
    type(dossier.candidate).objects.filter(pk=dossier.candidate_id).update(birth_place="")
    error = refused(cast, staged)
    assert codes(error) == ["holder_identity_incomplete"]
    assert f"L'identité du titulaire du dossier {dossier.reference} est incomplète" in (
        error.message
    )
    assert "lieu de naissance" in error.message


def test_the_holder_identity_check_names_each_missing_part(cast):
    person = CandidateFactory.build(
        branch=cast.branch_a, first_name=" ", birth_place="", birth_date=None
    )
    dossier = SimpleNamespace(candidate=person, reference="X-1", version=cast.version)
    problems = compliance.dossier_problems(dossier=dossier, on=timezone.localdate())
    assert [p.code for p in problems] == ["holder_identity_incomplete"]
    assert "(prénom, date de naissance, lieu de naissance)" in problems[0].message


# --- The rendered document ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("dropped", "code"),
    [
        ("Claire Martin", "mention_missing_signatory"),
        ("CPNE de la branche Branche Alpha", "mention_missing_certifier"),
        ("Agent logistique", "mention_missing_cqpi_title"),
        ("DURAND", "mention_missing_holder"),
        ("Fait à", "mention_missing_issue_date_place"),
    ],
)
def test_it_refuses_a_document_whose_rendered_text_lacks_a_mention(
    cast, staged, monkeypatch, dropped, code
):
    real = rendering.certificate_html

    def without(certificate: Any) -> str:
        markup = real(certificate)
        if dropped == "Fait à":
            return markup.replace("Paris", "")
        return markup.replace(dropped, "")

    monkeypatch.setattr(rendering, "certificate_html", without)
    error = refused(cast, staged)
    assert code in codes(error)
    assert "Mention obligatoire absente du document" in error.message


def test_it_refuses_a_document_without_its_registration_number(cast, staged, monkeypatch):
    code = cast.referentiel.registrations.get().code
    real = rendering.certificate_html
    monkeypatch.setattr(rendering, "certificate_html", lambda c: real(c).replace(code, "—"))
    error = refused(cast, staged)
    assert codes(error) == ["mention_missing_registration_number"]
    assert "le numéro d'enregistrement" in error.message


def test_it_refuses_a_document_without_its_signature_image(cast, staged, monkeypatch):
    real = rendering.certificate_html
    monkeypatch.setattr(
        rendering,
        "certificate_html",
        lambda c: (
            real(c)
            .replace('class="signature-image"', "")
            .replace(c.snapshot["signatory"]["image"], "")
        ),
    )
    assert codes(refused(cast, staged)) == ["mention_missing_signature_image"]


def test_the_mentions_are_found_in_the_real_template(cast, staged):
    certificate = record_award(cast, staged).certificates.get()
    markup = rendering.certificate_html(certificate)
    assert compliance.document_problems(snapshot=certificate.snapshot, markup=markup) == []


# --- Partial attestations, reissues, sessions ----------------------------------------------


def test_a_partial_attestation_is_refused_too(cast, staged):
    session, dossier = staged
    cast.branch_a.signatory_name = ""
    cast.branch_a.save()
    capacities = list(cast.version.blocs.get(code="B2").capacities.all())
    with pytest.raises(NonCompliant):
        jury_decides(
            session=session,
            dossier=dossier,
            outcome=Outcome.PARTIAL,
            validated_capacity_ids={
                c.pk for c in cast.version.blocs.get(code="B1").capacities.all()
            },
            override_reasons={c.pk: "Non démontrée" for c in capacities},
            reasons="Validation partielle.",
            by=cast.jury_employer,
        )
    assert not Certificate.objects.exists()


def test_a_refusal_issues_nothing_and_is_not_gated(cast, staged):
    session, dossier = staged
    cast.branch_a.signatory_name = ""
    cast.branch_a.save()
    decision = jury_decides(
        session=session,
        dossier=dossier,
        outcome=Outcome.REFUSAL,
        validated_capacity_ids=set(),
        override_reasons={pk: "Non démontrée" for pk in capacity_ids(cast)},
        reasons="Capacités non acquises.",
        by=cast.jury_employer,
    )
    assert decision.outcome == Outcome.REFUSAL
    assert not Certificate.objects.exists()


def test_a_reissue_is_refused_when_the_branch_lost_its_signatory(cast, staged):
    certificate = record_award(cast, staged).certificates.get()
    cast.branch_a.signatory_name = ""
    cast.branch_a.save()
    with pytest.raises(NonCompliant) as caught:
        certificate_reissue(certificate=certificate, by=cast.staff_a, reason="Nom mal orthographié")
    assert codes(caught.value) == ["signatory_missing"]
    assert Certificate.objects.count() == 1
    certificate.refresh_from_db()
    assert certificate.is_valid


def test_a_reissue_is_signed_by_the_branch_settings_of_today(cast, staged):
    certificate = record_award(cast, staged).certificates.get()
    cast.branch_a.certifier_name = "CPNEFP de la branche Alpha"
    cast.branch_a.signatory_name = "Nora Benali"
    cast.branch_a.save()
    replacement = certificate_reissue(
        certificate=certificate, by=cast.staff_a, reason="Nom mal orthographié"
    )
    assert replacement.snapshot["certifier"] == "CPNEFP de la branche Alpha"
    assert replacement.snapshot["signatory"]["name"] == "Nora Benali"
    assert certificate.snapshot["signatory"]["name"] == "Claire Martin"


def test_a_session_does_not_close_without_a_named_certifier(cast, staged):
    session, _dossier = staged
    record_award(cast, staged)
    cast.branch_a.certifier_name = ""
    cast.branch_a.save()
    with pytest.raises(NonCompliant) as caught:
        evaluation_services.jury_session_close(session=session, by=cast.staff_a)
    assert codes(caught.value) == ["certifier_missing"]
    session.refresh_from_db()
    assert session.status == "open"


def test_the_decision_page_shows_the_refusal_and_keeps_the_form(client, cast, staged):
    session, dossier = staged
    cast.branch_a.signatory_name = ""
    cast.branch_a.save()
    client.force_login(cast.jury_employer)
    url = reverse("evaluations:decision_record", args=[session.pk, dossier.pk])
    data = {f"c{pk}_validated": "on" for pk in capacity_ids(cast)}
    data["outcome"] = Outcome.AWARD
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Document non conforme, rien n&#x27;est délivré" in response.content.decode()
    assert "Aucun signataire n&#x27;est désigné" in response.content.decode()
    assert not Certificate.objects.exists()


def test_award_helper_still_issues(cast):
    assert award(cast).certificates.exists()
