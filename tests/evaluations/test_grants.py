"""Grants as the per-object truth: the services write and revoke them, the querysets read them."""

from __future__ import annotations

import datetime
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from branches.models import Company, CompanyUserObjectPermission, Membership, Role
from candidates import services as dossier_services
from candidates.evidence import evidence_add, evidence_visible_to
from candidates.models import Candidate, Dossier
from certifications.models import Capacity
from core.errors import DomainError, InvalidTransition
from evaluations import services
from evaluations.models import (
    CapacityResult,
    Evaluation,
    EvaluationKind,
    EvaluationSheet,
    EvaluationUserObjectPermission,
    JurySession,
    JurySessionUserObjectPermission,
    SheetRole,
)
from tests.api.conftest import token_client
from tests.factories import UserFactory, habilitate
from tests.workflow import open_dossier, open_session, ready_for_jury, score_all


def in_evaluation(cast: Any) -> Dossier:
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


def assigned(cast: Any, *, binome: bool = False) -> Evaluation:
    return services.evaluation_create(
        dossier=in_evaluation(cast),
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=cast.referent_a if binome else None,
        by=cast.staff_a,
    )


def successor(cast: Any) -> Any:
    person = UserFactory.create(email="remplacant@example.test")
    habilitate(person, branch=cast.branch_a, referentiel=cast.referentiel)
    return person


def a_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("piece.pdf", b"%PDF-1.4\n%%EOF\n")


# --- The querysets read the grants -------------------------------------------------------


def test_an_evaluator_sees_through_the_grant_not_through_the_grid(cast: Any) -> None:
    evaluation = assigned(cast)
    sheet = evaluation.sheets.get()
    assert Dossier.objects.visible_to(cast.evaluator).filter(pk=evaluation.dossier_id).exists()

    # The grid is still theirs, but without its grant it opens nothing.
    EvaluationUserObjectPermission.objects.filter(user=cast.evaluator).delete()

    assert not Dossier.objects.visible_to(cast.evaluator).exists()
    assert not Evaluation.objects.visible_to(cast.evaluator).exists()
    assert not EvaluationSheet.objects.of_evaluator(cast.evaluator).filter(pk=sheet.pk).exists()
    assert not Candidate.objects.visible_to(cast.evaluator).exists()


def test_a_jury_member_sees_through_the_grant_not_through_the_seat(cast: Any) -> None:
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    assert JurySession.objects.visible_to(cast.jury_employer).filter(pk=session.pk).exists()

    JurySessionUserObjectPermission.objects.filter(user=cast.jury_employer).delete()

    assert not JurySession.objects.visible_to(cast.jury_employer).exists()
    assert not Dossier.objects.visible_to(cast.jury_employer).exists()
    assert not services.may_record_decision(cast.jury_employer, session)


def test_a_referent_sees_their_company_through_the_grant(cast: Any) -> None:
    assert list(Company.objects.visible_to(cast.referent_a)) == [cast.company_a]

    CompanyUserObjectPermission.objects.filter(user=cast.referent_a).delete()

    assert not Company.objects.visible_to(cast.referent_a).exists()


def test_staff_scope_stays_the_branch_membership(cast: Any) -> None:
    evaluation = assigned(cast)
    assert not EvaluationUserObjectPermission.objects.filter(user=cast.staff_a).exists()
    assert Evaluation.objects.visible_to(cast.staff_a).filter(pk=evaluation.pk).exists()
    assert not Evaluation.objects.visible_to(cast.staff_b).exists()


def test_a_grant_on_one_evaluation_opens_no_other_of_the_dossier(cast: Any) -> None:
    """The evaluator of the positioning, replaced on the final evaluation, keeps the dossier
    for the positioning they did, but not the final evaluation."""
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    positioning = services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.POSITIONING,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    score_all(positioning.sheets.get(), by=cast.evaluator)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    final = services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    services.evaluation_reassign(
        sheet=final.sheets.get(), evaluator=successor(cast), by=cast.staff_a
    )

    assert list(Evaluation.objects.visible_to(cast.evaluator)) == [positioning]
    assert Dossier.objects.visible_to(cast.evaluator).filter(pk=dossier.pk).exists()


# --- Reassigning an evaluator ----------------------------------------------------------


class TestReassign:
    def test_the_grid_and_its_grant_move_to_the_successor(self, cast: Any) -> None:
        evaluation = assigned(cast)
        sheet = evaluation.sheets.get()
        newcomer = successor(cast)

        moved = services.evaluation_reassign(sheet=sheet, evaluator=newcomer, by=cast.staff_a)

        assert moved.evaluator_id == newcomer.pk
        assert moved.version == sheet.version + 1
        assert newcomer.has_perm("evaluations.score_evaluation", evaluation)
        assert (
            not type(cast.evaluator)
            .objects.get(pk=cast.evaluator.pk)
            .has_perm("evaluations.score_evaluation", evaluation)
        )
        event = AuditEvent.objects.get(action="evaluation.reassign")
        assert event.details["from"] == cast.evaluator.pk
        assert event.details["to"] == newcomer.pk

    def test_the_old_evaluators_marks_are_discarded_and_their_evidence_kept(
        self, cast: Any
    ) -> None:
        evaluation = assigned(cast)
        sheet = evaluation.sheets.get()
        capacity = Capacity.objects.filter(bloc__version=cast.version).first()
        assert capacity is not None
        services.sheet_save(
            sheet=sheet,
            entries={capacity.pk: services.CapacityEntry(outcome="acquired")},
            expected_version=sheet.version,
            by=cast.evaluator,
        )
        evidence = evidence_add(
            dossier=evaluation.dossier, uploaded=a_file(), by=cast.evaluator, capacity=capacity
        )

        services.evaluation_reassign(sheet=sheet, evaluator=successor(cast), by=cast.staff_a)

        assert not CapacityResult.objects.filter(sheet=sheet).exists()
        assert evidence_visible_to(cast.staff_a).filter(pk=evidence.pk).exists()
        assert not evidence_visible_to(cast.evaluator).filter(pk=evidence.pk).exists()

    def test_the_referents_half_goes_to_another_referent(self, cast: Any) -> None:
        evaluation = assigned(cast, binome=True)
        other = UserFactory.create(email="referent.bis@example.test")
        services.referent_appoint(company=cast.company_a, user=other, by=cast.staff_a)
        half = evaluation.sheets.get(role=SheetRole.REFERENT)

        services.evaluation_reassign(sheet=half, evaluator=other, by=cast.staff_a)

        assert not Dossier.objects.visible_to(cast.referent_a).exists()
        assert Dossier.objects.visible_to(other).filter(pk=evaluation.dossier_id).exists()
        # The external evaluator is no référent of the company.
        with pytest.raises(DomainError) as refused:
            services.evaluation_reassign(sheet=half, evaluator=cast.evaluator, by=cast.staff_a)
        assert refused.value.code in ("same_person", "referent_not_eligible")

    @pytest.mark.parametrize("who", ["staff_b", "evaluator", "referent_a", "jury_employer"])
    def test_only_staff_of_the_branch_reassign(self, cast: Any, who: str) -> None:
        sheet = assigned(cast).sheets.get()
        with pytest.raises(PermissionDenied):
            services.evaluation_reassign(
                sheet=sheet, evaluator=successor(cast), by=getattr(cast, who)
            )
        assert EvaluationSheet.objects.get(pk=sheet.pk).evaluator_id == cast.evaluator.pk

    def test_a_submitted_grid_keeps_its_evaluator(self, cast: Any) -> None:
        sheet = assigned(cast).sheets.get()
        score_all(sheet, by=cast.evaluator)
        with pytest.raises(InvalidTransition):
            services.evaluation_reassign(sheet=sheet, evaluator=successor(cast), by=cast.staff_a)

    def test_an_unhabilitated_or_same_evaluator_is_refused(self, cast: Any) -> None:
        sheet = assigned(cast).sheets.get()
        with pytest.raises(DomainError) as same:
            services.evaluation_reassign(sheet=sheet, evaluator=cast.evaluator, by=cast.staff_a)
        assert same.value.code == "same_evaluator"
        with pytest.raises(DomainError) as stranger:
            services.evaluation_reassign(sheet=sheet, evaluator=cast.outsider, by=cast.staff_a)
        assert stranger.value.code == "evaluator_not_eligible"
        assert cast.evaluator.has_perm("evaluations.score_evaluation", sheet.evaluation)


class TestReplacedEvaluatorIsRefused:
    """The replaced evaluator gets 404 on the evaluation, its grid and its evidence, in the
    portal and the API; the successor gets them."""

    @pytest.fixture
    def replaced(self, cast: Any) -> dict[str, Any]:
        evaluation = assigned(cast)
        sheet = evaluation.sheets.get()
        capacity = Capacity.objects.filter(bloc__version=cast.version).first()
        evidence = evidence_add(
            dossier=evaluation.dossier, uploaded=a_file(), by=cast.evaluator, capacity=capacity
        )
        newcomer = successor(cast)
        services.evaluation_reassign(sheet=sheet, evaluator=newcomer, by=cast.staff_a)
        return {
            "newcomer": newcomer,
            "portal": [
                reverse("evaluations:sheet", args=[sheet.pk]),
                reverse("candidates:evidence_download", args=[evidence.pk]),
            ],
            "api": [
                reverse("api:evaluation-detail", args=[evaluation.pk]),
                reverse("api:evaluation-sheet-detail", args=[sheet.pk]),
                reverse("api:dossier-detail", args=[evaluation.dossier_id]),
                reverse("api:candidate-detail", args=[evaluation.dossier.candidate_id]),
            ],
            "autosave": reverse("evaluations:sheet_autosave", args=[sheet.pk]),
            "upload": reverse("candidates:evidence_upload", args=[evaluation.dossier_id]),
        }

    def test_in_the_portal(self, client: Any, cast: Any, replaced: dict[str, Any]) -> None:
        client.force_login(cast.evaluator)
        for url in replaced["portal"]:
            assert client.get(url).status_code == 404, url
        assert client.post(replaced["autosave"], {"version": 1}).status_code == 404
        assert client.post(replaced["upload"], {"file": a_file()}).status_code == 404
        assert not list(client.get(reverse("evaluations:sheet_list")).context["sheets"])

        client.force_login(replaced["newcomer"])
        for url in replaced["portal"]:
            assert client.get(url).status_code == 200, url

    def test_in_the_api(self, cast: Any, replaced: dict[str, Any]) -> None:
        old = token_client(cast.evaluator)
        for url in replaced["api"]:
            assert old.get(url).status_code == 404, url
        assert old.get(reverse("api:evaluation-sheet-list")).json()["results"] == []
        assert old.get(reverse("api:dossier-list")).json()["results"] == []

        new = token_client(replaced["newcomer"])
        for url in replaced["api"]:
            assert new.get(url).status_code == 200, url


# --- Releasing a jury member ---------------------------------------------------------------


class TestRelease:
    @pytest.fixture
    def planned(self, cast: Any) -> Any:
        session = services.jury_session_create(
            branch=cast.branch_a,
            held_on=timezone.now() + datetime.timedelta(days=7),
            place="Salle du conseil",
            by=cast.staff_a,
        )
        services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
        services.jury_session_add_dossier(
            session=session, dossier=ready_for_jury(cast), by=cast.staff_a
        )
        return session

    def test_releasing_closes_the_session_and_its_agenda(
        self, client: Any, cast: Any, planned: Any
    ) -> None:
        client.force_login(cast.jury_employer)
        page = reverse("evaluations:session_detail", args=[planned.pk])
        assert client.get(page).status_code == 200

        services.jury_member_release(member=planned.members.get(), by=cast.staff_a)

        assert client.get(page).status_code == 404
        api = token_client(cast.jury_employer)
        assert api.get(reverse("api:jury-session-detail", args=[planned.pk])).status_code == 404
        assert not Dossier.objects.visible_to(cast.jury_employer).exists()
        assert not planned.members.exists()
        event = AuditEvent.objects.get(action="session.release")
        assert event.details["member"] == cast.jury_employer.pk

    def test_only_staff_of_the_branch_release(self, cast: Any, planned: Any) -> None:
        for who in (cast.staff_b, cast.jury_employee, cast.jury_employer):
            with pytest.raises(PermissionDenied):
                services.jury_member_release(member=planned.members.get(), by=who)
        assert planned.members.count() == 1

    def test_an_opened_session_keeps_its_members(self, cast: Any) -> None:
        session = open_session(cast, [ready_for_jury(cast)])
        with pytest.raises(InvalidTransition):
            services.jury_member_release(member=session.members.all()[0], by=cast.staff_a)
        assert JurySession.objects.visible_to(cast.jury_employer).filter(pk=session.pk).exists()


# --- Company référents ------------------------------------------------------------------


class TestReferents:
    def test_appointing_grants_the_company(self, cast: Any) -> None:
        person = UserFactory.create(email="nouveau.referent@example.test")
        services.referent_appoint(company=cast.company_a, user=person, by=cast.staff_a)

        assert list(Company.objects.visible_to(person)) == [cast.company_a]
        assert Membership.objects.get(user=person).role == Role.REFERENT
        assert AuditEvent.objects.filter(action="company.referent_appoint").count() == 2
        with pytest.raises(DomainError):
            services.referent_appoint(company=cast.company_a, user=person, by=cast.staff_a)
        with pytest.raises(PermissionDenied):
            services.referent_appoint(company=cast.company_b, user=person, by=cast.staff_a)

    def test_removing_revokes_the_company_and_the_grids_under_way(self, cast: Any) -> None:
        under_way = assigned(cast, binome=True)
        done = ready_for_jury(cast, binome=True)

        services.referent_remove(company=cast.company_a, user=cast.referent_a, by=cast.staff_a)

        referent = type(cast.referent_a).objects.get(pk=cast.referent_a.pk)
        assert not Company.objects.visible_to(referent).exists()
        assert not referent.has_perm("evaluations.score_evaluation", under_way)
        # A grid already transmitted stays theirs to read.
        assert referent.has_perm("evaluations.score_evaluation", done.evaluations.get())
        assert not Membership.objects.get(user=referent).is_active
        event = AuditEvent.objects.get(action="company.referent_remove")
        assert event.details["evaluations_revoked"] == 1
        with pytest.raises(DomainError):
            services.referent_remove(company=cast.company_a, user=referent, by=cast.staff_a)


# --- The référent's API scope: their assigned dossiers only, as in the portal ---------------


def test_a_referent_reads_through_the_api_only_the_candidates_they_score(cast: Any) -> None:
    """The finding: a référent read the birth date and email of their company's candidates
    they were not assigned to through the API, while the portal refused."""
    scored = assigned(cast, binome=True).dossier
    unassigned = open_dossier(cast, candidate=cast.other_candidate)
    api = token_client(cast.referent_a)

    listed = api.get(reverse("api:candidate-list")).json()["results"]
    assert [c["id"] for c in listed] == [scored.candidate_id]
    assert cast.other_candidate.email not in str(listed)
    assert (
        api.get(reverse("api:candidate-detail", args=[unassigned.candidate_id])).status_code == 404
    )
    assert api.get(reverse("api:dossier-detail", args=[unassigned.pk])).status_code == 404
    dossiers = api.get(reverse("api:dossier-list")).json()["results"]
    assert [d["id"] for d in dossiers] == [scored.pk]


# --- The backfill of an upgraded deployment ------------------------------------------------


def test_the_migration_backfills_the_grants_of_current_assignments(cast: Any) -> None:
    evaluation = assigned(cast, binome=True)
    session = open_session(cast, [ready_for_jury(cast)])
    EvaluationUserObjectPermission.objects.all().delete()
    JurySessionUserObjectPermission.objects.all().delete()
    CompanyUserObjectPermission.objects.all().delete()
    migration = importlib.import_module("evaluations.migrations.0005_backfill_grants")

    migration.backfill(apps, None)
    migration.backfill(apps, None)  # twice: nothing doubles

    assert Dossier.objects.visible_to(cast.evaluator).filter(pk=evaluation.dossier_id).exists()
    assert Dossier.objects.visible_to(cast.referent_a).filter(pk=evaluation.dossier_id).exists()
    assert JurySession.objects.visible_to(cast.jury_employer).filter(pk=session.pk).exists()
    assert list(Company.objects.visible_to(cast.referent_a)) == [cast.company_a]
    assert EvaluationUserObjectPermission.objects.filter(content_object=evaluation).count() == 2


# --- The API's doors to the same services ------------------------------------------------


def test_staff_reassign_a_grid_through_the_api_and_the_old_evaluator_loses_it(cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    newcomer = successor(cast)
    url = reverse("api:evaluation-sheet-reassign", args=[sheet.pk])

    assert token_client(cast.evaluator).post(url, {"evaluator": newcomer.pk}).status_code == 403
    assert token_client(cast.staff_b).post(url, {"evaluator": newcomer.pk}).status_code == 404
    response = token_client(cast.staff_a).post(url, {"evaluator": newcomer.pk})

    assert response.status_code == 200
    assert response.json()["evaluator"] == newcomer.pk
    detail = reverse("api:evaluation-sheet-detail", args=[sheet.pk])
    assert token_client(cast.evaluator).get(detail).status_code == 404
    assert token_client(newcomer).get(detail).status_code == 200


def test_staff_release_a_jury_member_through_the_api(cast: Any) -> None:
    session = services.jury_session_create(
        branch=cast.branch_a,
        held_on=timezone.now() + datetime.timedelta(days=7),
        place="Salle du conseil",
        by=cast.staff_a,
    )
    member = services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
    url = reverse("api:jury-session-release", args=[session.pk])

    assert token_client(cast.jury_employer).post(url, {"member": member.pk}).status_code == 403
    assert token_client(cast.staff_a).post(url, {"member": 0}).status_code == 400
    assert token_client(cast.staff_a).post(url, {"member": member.pk}).status_code == 200

    detail = reverse("api:jury-session-detail", args=[session.pk])
    assert token_client(cast.jury_employer).get(detail).status_code == 404
