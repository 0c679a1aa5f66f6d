"""The dossier state machine: every transition, allowed and refused, leaves the right history."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from candidates import services
from candidates.models import AccessRoute, Candidate, Dossier, DossierHistory, DossierStatus
from certifications.models import ReferentielStatus, ReferentielVersion, VersionStatus
from core.errors import DomainError, InvalidTransition
from tests.factories import BranchFactory, CandidateFactory, build_referentiel
from tests.workflow import open_dossier

S = DossierStatus


def last_history(dossier: Dossier) -> DossierHistory:
    entry = dossier.history.order_by("-pk").first()
    assert entry is not None
    return entry


def assert_refused_without_trace(dossier: Dossier, call, exc=InvalidTransition) -> None:  # type: ignore[no-untyped-def]
    before_status = Dossier.objects.get(pk=dossier.pk).status
    before_history = dossier.history.count()
    with pytest.raises(exc):
        call()
    assert Dossier.objects.get(pk=dossier.pk).status == before_status
    assert dossier.history.count() == before_history


class TestCandidateCreate:
    def test_it_creates_a_candidate_in_the_branch(self, cast):
        candidate = services.candidate_create(
            branch_id=cast.branch_a.pk,
            last_name=" Martin ",
            first_name="Zoé",
            birth_date=datetime.date(1990, 5, 4),
            birth_place="Nantes",
            by=cast.staff_a,
        )
        assert candidate.branch == cast.branch_a
        assert candidate.last_name == "Martin"

    def test_it_refuses_a_duplicate_identity_whatever_the_case(self, cast):
        with pytest.raises(DomainError) as info:
            services.candidate_create(
                branch_id=cast.branch_a.pk,
                last_name="DURAND",
                first_name="léa",
                birth_date=cast.candidate.birth_date,
                birth_place="Lille",
                by=cast.staff_a,
            )
        assert info.value.code == "duplicate_candidate"

    def test_it_refuses_a_birth_date_in_the_future(self, cast):
        with pytest.raises(DomainError) as info:
            services.candidate_create(
                branch_id=cast.branch_a.pk,
                last_name="Futur",
                first_name="Paul",
                birth_date=datetime.date.today() + datetime.timedelta(days=2),
                birth_place="Lyon",
                by=cast.staff_a,
            )
        assert info.value.code == "invalid_date"

    def test_staff_of_another_branch_may_not_register_a_candidate(self, cast):
        with pytest.raises(PermissionDenied):
            services.candidate_create(
                branch_id=cast.branch_a.pk,
                last_name="X",
                first_name="Y",
                birth_date=datetime.date(1990, 1, 1),
                birth_place="Z",
                by=cast.staff_b,
            )
        assert not Candidate.objects.filter(last_name="X").exists()


class TestDossierOpen:
    def test_it_opens_with_a_numbered_reference_and_a_first_history_row(self, cast):
        first = open_dossier(cast)
        second = open_dossier(cast, candidate=cast.other_candidate)
        year = datetime.date.today().year
        assert first.reference == f"ALPHA-{year}-000001"
        assert second.reference == f"ALPHA-{year}-000002"
        assert first.status == S.OPEN
        row = last_history(first)
        assert (row.from_status, row.to_status, row.by) == ("", S.OPEN, cast.staff_a)

    def test_it_binds_the_dossier_to_the_version_in_force(self, cast):
        dossier = open_dossier(cast)
        assert dossier.version == cast.version

    def test_it_refuses_a_cqpi_the_branch_has_not_adopted(self, cast):
        branch_c = BranchFactory.create(code="gamma")
        _, version = build_referentiel(
            branches=[cast.branch_b, branch_c], title="Opérateur qualité"
        )
        with pytest.raises(DomainError) as info:
            services.dossier_open(
                candidate=cast.candidate,
                version=version,
                access_route=AccessRoute.VAE,
                by=cast.staff_a,
            )
        assert info.value.code == "not_adopted"
        assert not Dossier.objects.exists()

    def test_it_refuses_a_cqpi_not_yet_validated(self, cast):
        _, version = build_referentiel(
            branches=[cast.branch_a], title="En création", status=ReferentielStatus.DRAFT
        )
        with pytest.raises(DomainError) as info:
            services.dossier_open(
                candidate=cast.candidate,
                version=version,
                access_route=AccessRoute.VAE,
                by=cast.staff_a,
            )
        assert info.value.code == "referentiel_not_validated"

    def test_it_refuses_a_retired_version(self, cast):
        old = ReferentielVersion.objects.create(
            referentiel=cast.referentiel,
            number=0,
            effective_from=datetime.date(2015, 1, 1),
            status=VersionStatus.RETIRED,
        )
        with pytest.raises(DomainError) as info:
            services.dossier_open(
                candidate=cast.candidate, version=old, access_route=AccessRoute.VAE, by=cast.staff_a
            )
        assert info.value.code == "version_not_in_force"

    def test_it_refuses_a_company_of_another_branch(self, cast):
        with pytest.raises(DomainError) as info:
            services.dossier_open(
                candidate=cast.candidate,
                version=cast.version,
                company=cast.company_b,
                access_route=AccessRoute.VAE,
                by=cast.staff_a,
            )
        assert info.value.code == "company_branch"

    @pytest.mark.parametrize("who", ["staff_b", "evaluator", "candidate_user", "jury_employer"])
    def test_only_the_branch_staff_may_open_a_dossier(self, cast, who):
        with pytest.raises(PermissionDenied):
            services.dossier_open(
                candidate=cast.candidate,
                version=cast.version,
                access_route=AccessRoute.VAE,
                by=getattr(cast, who),
            )
        assert not Dossier.objects.exists()


class TestAdmissibility:
    def test_a_vae_dossier_is_declared_admissible(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.VAE)
        services.dossier_rule_admissibility(
            dossier=dossier, admissible=True, by=cast.staff_a, comment="Livret 1 complet"
        )
        assert dossier.status == S.ADMISSIBLE
        row = last_history(dossier)
        assert (row.from_status, row.to_status, row.comment) == (
            S.OPEN,
            S.ADMISSIBLE,
            "Livret 1 complet",
        )

    def test_inadmissibility_needs_a_reason_and_is_final(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.VAE)
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_rule_admissibility(
                dossier=dossier, admissible=False, by=cast.staff_a
            ),
            exc=DomainError,
        )
        services.dossier_rule_admissibility(
            dossier=dossier, admissible=False, by=cast.staff_a, comment="Expérience insuffisante"
        )
        assert dossier.status == S.INADMISSIBLE
        assert_refused_without_trace(
            dossier, lambda: services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
        )

    def test_a_non_vae_dossier_has_no_admissibility_step(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.CONTINUING)
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_rule_admissibility(
                dossier=dossier, admissible=True, by=cast.staff_a
            ),
            exc=DomainError,
        )

    def test_admissibility_cannot_be_ruled_twice(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.VAE)
        services.dossier_rule_admissibility(dossier=dossier, admissible=True, by=cast.staff_a)
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_rule_admissibility(
                dossier=dossier, admissible=True, by=cast.staff_a
            ),
        )


class TestPositioningAndEvaluation:
    def test_a_continuing_training_dossier_goes_to_positioning_then_evaluation(self, cast):
        dossier = open_dossier(cast)
        services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
        assert last_history(dossier).to_status == S.POSITIONING
        services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
        row = last_history(dossier)
        assert (row.from_status, row.to_status) == (S.POSITIONING, S.EVALUATION)

    def test_a_vae_dossier_must_be_admissible_before_positioning(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.VAE)
        assert_refused_without_trace(
            dossier, lambda: services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
        )

    def test_an_admissible_vae_dossier_may_go_straight_to_evaluation(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.VAE)
        services.dossier_rule_admissibility(dossier=dossier, admissible=True, by=cast.staff_a)
        services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
        assert dossier.status == S.EVALUATION

    def test_a_direct_assessment_skips_positioning(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.DIRECT)
        services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
        assert dossier.status == S.EVALUATION

    def test_evaluation_cannot_start_from_an_open_training_dossier(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.PROFESSIONALISATION)
        assert_refused_without_trace(
            dossier, lambda: services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
        )

    def test_the_refusal_message_names_the_current_status(self, cast):
        dossier = open_dossier(cast)
        with pytest.raises(InvalidTransition) as info:
            services.dossier_mark_ready_for_jury(dossier=dossier, by=cast.staff_a)
        assert "Ouvert" in info.value.message
        assert dossier.reference in info.value.message

    def test_staff_of_another_branch_cannot_move_the_dossier(self, cast):
        dossier = open_dossier(cast)
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_start_positioning(dossier=dossier, by=cast.staff_b),
            exc=PermissionDenied,
        )


class TestSystemTransitions:
    """Transitions driven by the evaluation and jury services."""

    def test_schedule_and_unschedule_round_trip(self, cast):
        dossier = open_dossier(cast, route=AccessRoute.DIRECT)
        services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
        services.dossier_mark_ready_for_jury(dossier=dossier, by=cast.staff_a)
        services.dossier_schedule(dossier=dossier, by=cast.staff_a)
        assert dossier.status == S.SCHEDULED
        services.dossier_unschedule(dossier=dossier, by=cast.staff_a)
        assert dossier.status == S.READY_FOR_JURY
        assert [h.to_status for h in dossier.history.all()] == [
            S.OPEN,
            S.EVALUATION,
            S.READY_FOR_JURY,
            S.SCHEDULED,
            S.READY_FOR_JURY,
        ]

    def test_an_outcome_is_recorded_only_for_a_scheduled_dossier(self, cast):
        dossier = open_dossier(cast)
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_record_outcome(
                dossier=dossier, status=S.AWARDED, by=cast.staff_a
            ),
        )

    def test_an_unknown_outcome_is_refused(self, cast):
        dossier = open_dossier(cast)
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_record_outcome(
                dossier=dossier, status=S.OPEN, by=cast.staff_a
            ),
            exc=DomainError,
        )


class TestWithdraw:
    def test_withdrawal_needs_a_reason(self, cast):
        dossier = open_dossier(cast)
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_withdraw(dossier=dossier, by=cast.staff_a, comment=" "),
            exc=DomainError,
        )

    def test_a_dossier_in_progress_can_be_withdrawn(self, cast):
        dossier = open_dossier(cast)
        services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
        services.dossier_withdraw(
            dossier=dossier, by=cast.staff_a, comment="Départ de l'entreprise"
        )
        row = last_history(dossier)
        assert (row.from_status, row.to_status) == (S.POSITIONING, S.WITHDRAWN)

    def test_a_closed_dossier_cannot_be_withdrawn(self, cast):
        dossier = open_dossier(cast)
        services.dossier_withdraw(dossier=dossier, by=cast.staff_a, comment="Abandon")
        assert_refused_without_trace(
            dossier,
            lambda: services.dossier_withdraw(dossier=dossier, by=cast.staff_a, comment="Encore"),
        )


def test_a_stale_instance_cannot_replay_a_transition(cast):
    """Two copies of the same dossier (two requests): the second is refused on the locked row."""
    dossier = open_dossier(cast)
    copy = Dossier.objects.get(pk=dossier.pk)
    services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    with pytest.raises(InvalidTransition):
        services.dossier_start_positioning(dossier=copy, by=cast.staff_a)
    assert dossier.history.filter(to_status=S.POSITIONING).count() == 1


def test_candidates_of_other_branches_stay_apart(cast):
    CandidateFactory.create(branch=cast.branch_b)
    assert set(Candidate.objects.visible_to(cast.staff_a)) == {cast.candidate, cast.other_candidate}
