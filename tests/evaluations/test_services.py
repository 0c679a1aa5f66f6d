"""Evaluations, jury sessions and decisions through their services."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from branches.models import College, Membership, QuorumRule, Role
from candidates import services as dossier_services
from candidates.models import AccessRoute, DossierStatus
from certifications.models import Capacity, Certificate, CertificateKind
from core.errors import DomainError, InvalidTransition
from evaluations import services
from evaluations.models import (
    CapacityOutcome,
    Decision,
    EvaluationKind,
    EvaluationSheet,
    EvaluationStatus,
    MemberRole,
    Outcome,
    SessionStatus,
    SheetStatus,
)
from evaluations.selectors import divergent_capacity_ids, eligible_evaluators
from sampledata.jury import jury_decides
from tests.factories import UserFactory, declare_conflict, habilitate
from tests.workflow import award, open_dossier, open_session, ready_for_jury, score_all


def dossier_in_evaluation(cast, route=AccessRoute.DIRECT):  # type: ignore[no-untyped-def]
    dossier = open_dossier(cast, route=route)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


def capacity_ids(cast) -> list[int]:  # type: ignore[no-untyped-def]
    return list(
        Capacity.objects.filter(bloc__version=cast.version)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


class TestEvaluationAssignment:
    def test_a_habilitated_evaluator_and_the_referent_form_a_binome(self, cast):
        dossier = dossier_in_evaluation(cast)
        evaluation = services.evaluation_create(
            dossier=dossier,
            kind=EvaluationKind.FINAL,
            external_evaluator=cast.evaluator,
            referent=cast.referent_a,
            by=cast.staff_a,
        )
        roles = dict(evaluation.sheets.values_list("evaluator__email", "role"))
        assert roles == {cast.evaluator.email: "external", cast.referent_a.email: "referent"}
        assert cast.evaluator.has_perm("evaluations.score_evaluation", evaluation)
        assert not cast.staff_b.has_perm("evaluations.score_evaluation", evaluation)

    def test_an_expired_habilitation_is_not_eligible(self, cast):
        dossier = dossier_in_evaluation(cast)
        cast.evaluator.habilitations.update(
            valid_from=datetime.date(2010, 1, 1), valid_until=datetime.date(2015, 1, 1)
        )
        assert cast.evaluator not in eligible_evaluators(dossier=dossier)
        with pytest.raises(DomainError) as info:
            services.evaluation_create(
                dossier=dossier,
                kind=EvaluationKind.FINAL,
                external_evaluator=cast.evaluator,
                by=cast.staff_a,
            )
        assert info.value.code == "evaluator_not_eligible"

    def test_a_conflict_of_interest_excludes_the_evaluator(self, cast):
        dossier = dossier_in_evaluation(cast)
        declare_conflict(cast.evaluator, company=cast.company_a, referentiel=cast.referentiel)
        with pytest.raises(DomainError):
            services.evaluation_create(
                dossier=dossier,
                kind=EvaluationKind.FINAL,
                external_evaluator=cast.evaluator,
                by=cast.staff_a,
            )
        assert not dossier.evaluations.exists()

    def test_a_habilitation_by_another_branch_does_not_count(self, cast):
        dossier = dossier_in_evaluation(cast)
        only_b = UserFactory.create(email="only.b@example.test")
        habilitate(only_b, branch=cast.branch_b, referentiel=cast.referentiel)
        assert only_b not in eligible_evaluators(dossier=dossier)

    def test_the_referent_must_belong_to_the_candidates_company(self, cast):
        dossier = dossier_in_evaluation(cast)
        stranger = UserFactory.create(email="stranger@example.test")
        Membership.objects.create(
            user=stranger, branch=cast.branch_b, role=Role.REFERENT, company=cast.company_b
        )
        with pytest.raises(DomainError) as info:
            services.evaluation_create(
                dossier=dossier,
                kind=EvaluationKind.FINAL,
                external_evaluator=cast.evaluator,
                referent=stranger,
                by=cast.staff_a,
            )
        assert info.value.code == "referent_not_eligible"

    def test_a_final_evaluation_needs_a_dossier_in_evaluation(self, cast):
        dossier = open_dossier(cast)
        with pytest.raises(InvalidTransition):
            services.evaluation_create(
                dossier=dossier,
                kind=EvaluationKind.FINAL,
                external_evaluator=cast.evaluator,
                by=cast.staff_a,
            )

    def test_staff_of_another_branch_cannot_assign(self, cast):
        dossier = dossier_in_evaluation(cast)
        with pytest.raises(PermissionDenied):
            services.evaluation_create(
                dossier=dossier,
                kind=EvaluationKind.FINAL,
                external_evaluator=cast.evaluator,
                by=cast.staff_b,
            )


def final_sheet(cast, *, binome=False):  # type: ignore[no-untyped-def]
    dossier = dossier_in_evaluation(cast)
    evaluation = services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=cast.referent_a if binome else None,
        by=cast.staff_a,
    )
    return evaluation, evaluation.sheets.get(evaluator=cast.evaluator)


class TestScoring:
    def test_saving_bumps_the_version_and_stores_marks(self, cast):
        _, sheet = final_sheet(cast)
        capacity = Capacity.objects.filter(bloc__version=cast.version).first()
        assert capacity is not None
        indicator = capacity.indicators.first()
        assert indicator is not None
        services.sheet_save(
            sheet=sheet,
            entries={
                capacity.pk: services.CapacityEntry(
                    outcome=CapacityOutcome.ACQUIRED, comment="Très bien", marks={indicator.pk: 3}
                )
            },
            expected_version=0,
            by=cast.evaluator,
        )
        sheet.refresh_from_db()
        assert sheet.version == 1
        result = sheet.results.get(capacity=capacity)
        assert (result.outcome, result.comment) == (CapacityOutcome.ACQUIRED, "Très bien")
        assert result.marks.get().mark == 3

    def test_a_stale_version_is_refused_and_nothing_is_overwritten(self, cast):
        _, sheet = final_sheet(cast)
        capacity = Capacity.objects.filter(bloc__version=cast.version).first()
        assert capacity is not None
        first = {capacity.pk: services.CapacityEntry(outcome=CapacityOutcome.ACQUIRED)}
        second = {capacity.pk: services.CapacityEntry(outcome=CapacityOutcome.NOT_ACQUIRED)}
        other_tab = EvaluationSheet.objects.get(pk=sheet.pk)
        services.sheet_save(sheet=sheet, entries=first, expected_version=0, by=cast.evaluator)
        with pytest.raises(services.StaleSheet):
            services.sheet_save(
                sheet=other_tab, entries=second, expected_version=0, by=cast.evaluator
            )
        assert sheet.results.get().outcome == CapacityOutcome.ACQUIRED

    def test_marks_outside_the_scale_are_refused(self, cast):
        _, sheet = final_sheet(cast)
        capacity = Capacity.objects.filter(bloc__version=cast.version).first()
        assert capacity is not None
        indicator = capacity.indicators.first()
        assert indicator is not None
        with pytest.raises(DomainError) as info:
            services.sheet_save(
                sheet=sheet,
                entries={
                    capacity.pk: services.CapacityEntry(
                        outcome=CapacityOutcome.ACQUIRED, marks={indicator.pk: 9}
                    )
                },
                expected_version=0,
                by=cast.evaluator,
            )
        assert info.value.code == "invalid_mark"
        assert not sheet.results.exists()

    def test_a_capacity_of_another_referentiel_is_refused(self, cast):
        _, sheet = final_sheet(cast)
        with pytest.raises(DomainError):
            services.sheet_save(
                sheet=sheet,
                entries={10**9: services.CapacityEntry(outcome=CapacityOutcome.ACQUIRED)},
                expected_version=0,
                by=cast.evaluator,
            )

    def test_only_the_sheets_evaluator_may_save(self, cast):
        _, sheet = final_sheet(cast)
        with pytest.raises(PermissionDenied):
            services.sheet_save(sheet=sheet, entries={}, expected_version=0, by=cast.staff_a)

    def test_an_incomplete_sheet_cannot_be_submitted(self, cast):
        _, sheet = final_sheet(cast)
        with pytest.raises(DomainError) as info:
            services.sheet_submit(sheet=sheet, by=cast.evaluator)
        assert info.value.code == "incomplete_sheet"
        assert "4" in info.value.message  # four capacities left

    def test_submitting_the_last_sheet_makes_the_dossier_ready_for_jury(self, cast):
        evaluation, sheet = final_sheet(cast)
        score_all(sheet, by=cast.evaluator)
        evaluation.refresh_from_db()
        evaluation.dossier.refresh_from_db()
        assert evaluation.status == EvaluationStatus.SUBMITTED
        assert evaluation.dossier.status == DossierStatus.READY_FOR_JURY

    def test_a_submitted_sheet_is_read_only(self, cast):
        _, sheet = final_sheet(cast)
        score_all(sheet, by=cast.evaluator)
        with pytest.raises(InvalidTransition):
            services.sheet_save(
                sheet=sheet, entries={}, expected_version=sheet.version, by=cast.evaluator
            )
        with pytest.raises(InvalidTransition):
            services.sheet_submit(sheet=sheet, by=cast.evaluator)

    def test_a_binome_waits_for_both_halves_and_shows_divergences(self, cast):
        evaluation, sheet = final_sheet(cast, binome=True)
        score_all(sheet, by=cast.evaluator)
        evaluation.refresh_from_db()
        assert evaluation.status == EvaluationStatus.IN_PROGRESS
        assert evaluation.dossier.status == DossierStatus.EVALUATION
        assert divergent_capacity_ids(evaluation=evaluation) == set()
        referent_sheet = evaluation.sheets.get(evaluator=cast.referent_a)
        ids = capacity_ids(cast)
        entries = {
            cid: services.CapacityEntry(
                outcome=CapacityOutcome.NOT_ACQUIRED if cid == ids[0] else CapacityOutcome.ACQUIRED
            )
            for cid in ids
        }
        services.sheet_save(
            sheet=referent_sheet, entries=entries, expected_version=0, by=cast.referent_a
        )
        services.sheet_submit(sheet=referent_sheet, by=cast.referent_a)
        evaluation.refresh_from_db()
        assert evaluation.status == EvaluationStatus.SUBMITTED
        assert divergent_capacity_ids(evaluation=evaluation) == {ids[0]}
        assert referent_sheet.status == SheetStatus.SUBMITTED


class TestJurySession:
    def make_session(self, cast):  # type: ignore[no-untyped-def]
        return services.jury_session_create(
            branch=cast.branch_a,
            held_on=timezone.now() + datetime.timedelta(days=7),
            place="Lyon",
            by=cast.staff_a,
        )

    def test_it_refuses_to_open_without_both_colleges(self, cast):
        session = self.make_session(cast)
        services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
        with pytest.raises(DomainError) as info:
            services.jury_session_open(session=session, by=cast.staff_a)
        assert info.value.code == "no_quorum"
        assert "salariés" in info.value.message
        session.refresh_from_db()
        assert session.status == SessionStatus.PLANNED

    def test_it_opens_with_one_member_per_college(self, cast):
        session = self.make_session(cast)
        services.jury_member_convoke(
            session=session, user=cast.jury_employer, role=MemberRole.CHAIR, by=cast.staff_a
        )
        services.jury_member_convoke(session=session, user=cast.jury_employee, by=cast.staff_a)
        services.jury_session_open(session=session, by=cast.staff_a)
        assert session.status == SessionStatus.OPEN

    def test_it_does_not_open_without_its_chair_present(self, cast):
        session = self.make_session(cast)
        services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
        services.jury_member_convoke(session=session, user=cast.jury_employee, by=cast.staff_a)
        with pytest.raises(DomainError) as info:
            services.jury_session_open(session=session, by=cast.staff_a)
        assert "Le président du jury doit être présent" in info.value.message

    def test_the_equal_numbers_rule_refuses_an_unbalanced_jury(self, cast):
        cast.branch_a.quorum_rule = QuorumRule.EQUAL
        cast.branch_a.save()
        extra = UserFactory.create(email="jury2@example.test")
        Membership.objects.create(
            user=extra, branch=cast.branch_a, role=Role.JURY, college=College.EMPLOYERS
        )
        session = self.make_session(cast)
        for user in (cast.jury_employer, cast.jury_employee, extra):
            services.jury_member_convoke(session=session, user=user, by=cast.staff_a)
        with pytest.raises(DomainError) as info:
            services.jury_session_open(session=session, by=cast.staff_a)
        assert "Parité" in info.value.message

    def test_the_minimum_rule_counts_members_present(self, cast):
        cast.branch_a.quorum_rule = QuorumRule.MINIMUM_PER_COLLEGE
        cast.branch_a.quorum_minimum = 2
        cast.branch_a.save()
        session = self.make_session(cast)
        services.jury_member_convoke(session=session, user=cast.jury_employer, by=cast.staff_a)
        services.jury_member_convoke(session=session, user=cast.jury_employee, by=cast.staff_a)
        with pytest.raises(DomainError) as info:
            services.jury_session_open(session=session, by=cast.staff_a)
        assert "2 requis" in info.value.message

    def test_chair_and_vice_chair_come_from_opposite_colleges(self, cast):
        other_employer = UserFactory.create(email="jury3@example.test")
        Membership.objects.create(
            user=other_employer, branch=cast.branch_a, role=Role.JURY, college=College.EMPLOYERS
        )
        session = self.make_session(cast)
        services.jury_member_convoke(
            session=session, user=cast.jury_employer, role=MemberRole.CHAIR, by=cast.staff_a
        )
        services.jury_member_convoke(
            session=session, user=other_employer, role=MemberRole.VICE_CHAIR, by=cast.staff_a
        )
        services.jury_member_convoke(session=session, user=cast.jury_employee, by=cast.staff_a)
        with pytest.raises(DomainError) as info:
            services.jury_session_open(session=session, by=cast.staff_a)
        assert "collèges différents" in info.value.message

    def test_only_jury_members_of_the_branch_can_be_convoked(self, cast):
        session = self.make_session(cast)
        with pytest.raises(DomainError):
            services.jury_member_convoke(session=session, user=cast.evaluator, by=cast.staff_a)
        assert not session.members.exists()

    def test_a_dossier_not_ready_cannot_join_the_agenda(self, cast):
        session = self.make_session(cast)
        dossier = open_dossier(cast)
        with pytest.raises(InvalidTransition):
            services.jury_session_add_dossier(session=session, dossier=dossier, by=cast.staff_a)
        assert not session.agenda.exists()


class TestDecision:
    def test_an_award_validates_every_capacity_and_issues_a_certificate(self, cast):
        decision = award(cast)
        assert decision.dossier.status == DossierStatus.AWARDED
        assert decision.capacities.filter(validated=True).count() == 4
        certificate = Certificate.objects.get(decision=decision)
        assert certificate.kind == CertificateKind.CERTIFICATE
        assert certificate.snapshot["holder"]["last_name"] == "Durand"
        assert certificate.snapshot["cqpi"]["title"] == "Agent logistique"
        assert certificate.snapshot["registration"]["code"].startswith("RNCP")
        assert sum(len(b["capacities"]) for b in certificate.snapshot["blocs"]) == 4

    def test_a_second_decision_on_the_same_dossier_is_refused(self, cast):
        decision = award(cast)
        with pytest.raises(InvalidTransition):
            jury_decides(
                session=decision.session,
                dossier=decision.dossier,
                outcome=Outcome.AWARD,
                by=cast.jury_employer,
            )
        assert Decision.objects.count() == 1
        assert Certificate.objects.count() == 1

    def test_a_partial_validation_issues_an_attestation_valid_for_the_branch_period(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        ids = capacity_ids(cast)
        decision = jury_decides(
            session=session,
            dossier=dossier,
            outcome=Outcome.PARTIAL,
            validated_capacity_ids=set(ids[:2]),
            override_reasons={ids[2]: "Observation insuffisante", ids[3]: "Non démontré"},
            reasons="Deux capacités restent à démontrer.",
            by=cast.jury_employer,
        )
        certificate = decision.certificates.get()
        assert certificate.kind == CertificateKind.PARTIAL
        assert certificate.number.startswith("AVP-ALPHA-")
        today = timezone.localdate()
        try:
            expected = today.replace(year=today.year + 5)
        except ValueError:  # 29 February
            expected = today.replace(year=today.year + 5, day=28)
        assert certificate.valid_until == expected
        assert decision.capacities.filter(overridden=True).count() == 2

    def test_departing_from_the_evaluation_needs_a_reason(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        ids = capacity_ids(cast)
        with pytest.raises(DomainError) as info:
            jury_decides(
                session=session,
                dossier=dossier,
                outcome=Outcome.PARTIAL,
                validated_capacity_ids=set(ids[:3]),
                reasons="Motif",
                by=cast.jury_employer,
            )
        assert info.value.code == "override_reason_required"
        assert not Decision.objects.exists()

    def test_an_award_with_a_missing_capacity_is_inconsistent(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        ids = capacity_ids(cast)
        with pytest.raises(DomainError) as info:
            jury_decides(
                session=session,
                dossier=dossier,
                outcome=Outcome.AWARD,
                validated_capacity_ids=set(ids[1:]),
                override_reasons={ids[0]: "x"},
                by=cast.jury_employer,
            )
        assert info.value.code == "award_incomplete"

    def test_a_refusal_needs_reasons_and_issues_nothing(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        with pytest.raises(DomainError):
            jury_decides(
                session=session, dossier=dossier, outcome=Outcome.REFUSAL, by=cast.jury_employer
            )
        jury_decides(
            session=session,
            dossier=dossier,
            outcome=Outcome.REFUSAL,
            reasons="Le jury estime les preuves insuffisantes.",
            by=cast.jury_employer,
        )
        dossier.refresh_from_db()
        assert dossier.status == DossierStatus.REFUSED
        assert not Certificate.objects.exists()

    def test_a_decision_needs_an_open_session(self, cast):
        dossier = ready_for_jury(cast)
        session = services.jury_session_create(
            branch=cast.branch_a, held_on=timezone.now(), place="Paris", by=cast.staff_a
        )
        services.jury_session_add_dossier(session=session, dossier=dossier, by=cast.staff_a)
        with pytest.raises(InvalidTransition):
            jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.staff_a)

    @pytest.mark.parametrize("who", ["staff_b", "evaluator", "candidate_user", "outsider"])
    def test_only_staff_and_members_present_may_record(self, cast, who):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        with pytest.raises(PermissionDenied):
            jury_decides(
                session=session, dossier=dossier, outcome=Outcome.AWARD, by=getattr(cast, who)
            )
        assert not Decision.objects.exists()

    def test_the_session_closes_only_when_every_dossier_is_decided(self, cast):
        first = ready_for_jury(cast)
        second = ready_for_jury(cast, candidate=cast.other_candidate)
        session = open_session(cast, [first, second])
        jury_decides(session=session, dossier=first, outcome=Outcome.AWARD, by=cast.staff_a)
        with pytest.raises(DomainError) as info:
            services.jury_session_close(session=session, by=cast.staff_a)
        assert info.value.code == "undecided_dossiers"
        jury_decides(session=session, dossier=second, outcome=Outcome.AWARD, by=cast.staff_a)
        services.jury_session_close(session=session, by=cast.staff_a)
        assert session.status == SessionStatus.CLOSED
        numbers = set(Certificate.objects.values_list("number", flat=True))
        year = timezone.localdate().year
        assert numbers == {f"CQPI-ALPHA-{year}-000001", f"CQPI-ALPHA-{year}-000002"}


class TestRollCall:
    def test_an_absent_member_does_not_count_towards_the_quorum(self, cast):
        session = services.jury_session_create(
            branch=cast.branch_a, held_on=timezone.now(), place="Lyon", by=cast.staff_a
        )
        services.jury_member_convoke(
            session=session, user=cast.jury_employer, role=MemberRole.CHAIR, by=cast.staff_a
        )
        employee = services.jury_member_convoke(
            session=session, user=cast.jury_employee, by=cast.staff_a
        )
        services.jury_member_set_presence(member=employee, present=False, by=cast.staff_a)
        with pytest.raises(DomainError) as info:
            services.jury_session_open(session=session, by=cast.staff_a)
        assert "salariés : 0 membre(s) présent(s)" in info.value.message
        services.jury_member_set_presence(member=employee, present=True, by=cast.staff_a)
        services.jury_session_open(session=session, by=cast.staff_a)
        assert session.status == SessionStatus.OPEN

    def test_a_member_who_leaves_an_open_session_is_marked_absent_not_excused(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        member = session.members.get(user=cast.jury_employee)
        with pytest.raises(DomainError):
            services.jury_member_set_presence(
                member=member, present=False, excused=True, by=cast.staff_a
            )
        services.jury_member_set_presence(member=member, present=False, by=cast.staff_a)
        member.refresh_from_db()
        assert not member.present and member.left_at is not None

    def test_presence_is_frozen_once_the_session_is_closed(self, cast):
        decision = award(cast)
        session = decision.session
        services.jury_session_close(session=session, by=cast.staff_a)
        member = session.members.first()
        assert member is not None
        with pytest.raises(InvalidTransition):
            services.jury_member_set_presence(member=member, present=False, by=cast.staff_a)

    def test_staff_of_another_branch_cannot_take_the_roll(self, cast):
        session = services.jury_session_create(
            branch=cast.branch_a, held_on=timezone.now(), place="Lyon", by=cast.staff_a
        )
        member = services.jury_member_convoke(
            session=session, user=cast.jury_employer, by=cast.staff_a
        )
        with pytest.raises(PermissionDenied):
            services.jury_member_set_presence(member=member, present=False, by=cast.staff_b)
