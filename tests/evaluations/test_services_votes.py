"""Votes and signatures of a jury session (evaluations.services): who may put, vote and sign,
the majority at work, quorum lost mid-session, and a sealed session that no longer changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from branches.models import College, MajorityRule, Membership, Role
from core.errors import AccessRefused, DomainError, InvalidTransition
from evaluations import services
from evaluations.minutes import minutes_content_sha256
from evaluations.models import (
    Decision,
    JurySession,
    MemberRole,
    Outcome,
    ProposalStatus,
    SessionStatus,
)
from tests.factories import UserFactory
from tests.workflow import PASSWORD, close_and_sign, open_session, ready_for_jury


def three_member_session(cast: Any, dossiers: list[Any]) -> tuple[JurySession, Any]:
    """Chair (employers), vice-chair (employees) and a third member (employers)."""
    third = UserFactory.create(first_name="Théo", last_name="Troisième")
    Membership.objects.create(
        user=third, branch=cast.branch_a, role=Role.JURY, college=College.EMPLOYERS
    )
    session = services.jury_session_create(
        branch=cast.branch_a,
        held_on=timezone.now(),
        place="Lyon",
        by=cast.staff_a,
    )
    for user, role in (
        (cast.jury_employer, MemberRole.CHAIR),
        (cast.jury_employee, MemberRole.VICE_CHAIR),
        (third, MemberRole.MEMBER),
    ):
        services.jury_member_convoke(session=session, user=user, role=role, by=cast.staff_a)
    for dossier in dossiers:
        services.jury_session_add_dossier(session=session, dossier=dossier, by=cast.staff_a)
    services.jury_session_open(session=session, by=cast.staff_a)
    return session, third


def put_award(cast: Any, session: JurySession, dossier: Any, by: Any = None) -> Any:
    return services.proposal_put(
        session=session, dossier=dossier, outcome=Outcome.AWARD, by=by or cast.jury_employer
    )


class TestProposals:
    def test_the_chair_or_staff_put_a_proposal_not_another_member(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        with pytest.raises(PermissionDenied):
            put_award(cast, session, dossier, by=cast.jury_employee)
        assert put_award(cast, session, dossier, by=cast.staff_a).status == ProposalStatus.OPEN

    def test_one_proposal_is_voted_at_a_time_per_dossier(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        put_award(cast, session, dossier)
        with pytest.raises(DomainError) as info:
            put_award(cast, session, dossier)
        assert info.value.code == "proposal_open"

    def test_a_proposal_that_would_fail_the_compliance_gate_is_not_put(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        cast.branch_a.signatory_name = ""
        cast.branch_a.save(update_fields=["signatory_name"])
        with pytest.raises(DomainError):
            put_award(cast, session, dossier)
        # A refusal issues nothing: it may still be put.
        services.proposal_put(
            session=session,
            dossier=dossier,
            outcome=Outcome.REFUSAL,
            reasons="Preuves insuffisantes.",
            by=cast.jury_employer,
        )

    def test_a_withdrawn_proposal_keeps_its_votes_and_leaves_room_for_another(self, cast):
        dossier = ready_for_jury(cast)
        session, _third = three_member_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        with pytest.raises(DomainError):
            services.proposal_withdraw(proposal=proposal, reason=" ", by=cast.jury_employer)
        services.proposal_withdraw(proposal=proposal, reason="Capacités à revoir", by=cast.staff_a)
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.WITHDRAWN and proposal.votes.count() == 1
        assert put_award(cast, session, dossier).status == ProposalStatus.OPEN


class TestVotes:
    def test_the_decision_stands_once_every_member_present_has_voted(self, cast):
        dossier = ready_for_jury(cast)
        session, third = three_member_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employee)
        assert not Decision.objects.exists()  # the third member has not voted yet
        services.vote_cast(proposal=proposal, choice="against", by=third)
        proposal.refresh_from_db()
        decision = Decision.objects.get()
        assert proposal.status == ProposalStatus.ADOPTED and decision.proposal == proposal
        assert (proposal.votes_for, proposal.votes_against, proposal.members_present) == (2, 1, 3)
        assert AuditEvent.objects.filter(action="proposal.adopted").count() == 1

    def test_abstentions_weigh_against_under_the_absolute_majority(self, cast):
        dossier = ready_for_jury(cast)
        session, third = three_member_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        services.vote_cast(proposal=proposal, choice="abstain", by=cast.jury_employee)
        services.vote_cast(proposal=proposal, choice="abstain", by=third)
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.REJECTED
        assert not Decision.objects.exists()

    def test_the_same_votes_adopt_under_the_majority_of_votes_cast(self, cast):
        cast.branch_a.majority_rule = MajorityRule.CAST
        cast.branch_a.save(update_fields=["majority_rule"])
        dossier = ready_for_jury(cast)
        session, third = three_member_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        services.vote_cast(proposal=proposal, choice="abstain", by=cast.jury_employee)
        services.vote_cast(proposal=proposal, choice="abstain", by=third)
        assert Decision.objects.get().proposal_id == proposal.pk

    @pytest.mark.parametrize(("casting", "adopted"), [(True, True), (False, False)])
    def test_a_tie_with_and_without_the_chairs_casting_vote(self, cast, casting, adopted):
        cast.branch_a.chair_casting_vote = casting
        cast.branch_a.save(update_fields=["chair_casting_vote"])
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        services.vote_cast(proposal=proposal, choice="against", by=cast.jury_employee)
        proposal.refresh_from_db()
        assert (proposal.status == ProposalStatus.ADOPTED) is adopted
        assert proposal.casting_vote is casting

    def test_a_member_cannot_vote_twice(self, cast):
        dossier = ready_for_jury(cast)
        session, _third = three_member_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        with pytest.raises(DomainError) as info:
            services.vote_cast(proposal=proposal, choice="against", by=cast.jury_employer)
        assert info.value.code == "already_voted"
        assert proposal.votes.get().choice == "for"

    @pytest.mark.parametrize("who", ["staff_a", "staff_b", "evaluator", "outsider"])
    def test_only_members_present_vote_in_the_app(self, cast, who):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        with pytest.raises(PermissionDenied):
            services.vote_cast(proposal=proposal, choice="for", by=getattr(cast, who))

    def test_quorum_lost_mid_session_stops_the_votes(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        employee = session.members.get(user=cast.jury_employee)
        # The employees' only member leaves: the open vote stops, with no decision.
        services.jury_member_set_presence(member=employee, present=False, by=cast.staff_a)
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.OPEN  # one of one present: no valid jury
        with pytest.raises(DomainError) as info:
            services.show_of_hands_record(proposal=proposal, choices={}, by=cast.staff_a)
        assert info.value.code == "no_quorum"
        assert not Decision.objects.exists()

    def test_a_member_leaving_completes_a_vote_the_others_have_all_cast(self, cast):
        dossier = ready_for_jury(cast)
        session, third = three_member_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employer)
        services.vote_cast(proposal=proposal, choice="for", by=cast.jury_employee)
        services.jury_member_set_presence(
            member=session.members.get(user=third), present=False, by=cast.staff_a
        )
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.ADOPTED and proposal.members_present == 2

    def test_the_show_of_hands_names_only_members_of_the_session(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        with pytest.raises(DomainError):
            services.show_of_hands_record(
                proposal=proposal, choices={10**6: "for"}, by=cast.staff_a
            )
        with pytest.raises(PermissionDenied):
            services.show_of_hands_record(proposal=proposal, choices={}, by=cast.jury_employee)


class TestSigning:
    def decided(self, cast: Any) -> JurySession:
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        for user in (cast.jury_employer, cast.jury_employee):
            services.vote_cast(proposal=proposal, choice="for", by=user)
        services.jury_session_close(session=session, by=cast.staff_a)
        return session

    def test_signing_needs_the_password(self, cast):
        session = self.decided(cast)
        with pytest.raises(AccessRefused):
            services.minutes_sign(session=session, by=cast.jury_employer, password="wrong")
        assert not session.minutes_signatures.exists()
        assert AuditEvent.objects.filter(action="minutes.reauth_failed").count() == 1

    def test_signing_needs_the_second_factor_of_a_signer_who_has_one(self, cast):
        session = self.decided(cast)
        device = TOTPDevice.objects.create(user=cast.jury_employer, name="app", confirmed=True)
        with pytest.raises(AccessRefused):
            services.minutes_sign(session=session, by=cast.jury_employer, password=PASSWORD)
        code = f"{totp(device.bin_key):06d}"
        signature = services.minutes_sign(
            session=session,
            by=cast.jury_employer,
            password=PASSWORD,
            otp_code=code,
            ip_address="192.0.2.7",
            user_agent="Firefox",
        )
        assert signature.second_factor and signature.ip_address == "192.0.2.7"
        assert signature.content_sha256 == minutes_content_sha256(session)

    @pytest.mark.parametrize("who", ["staff_a", "evaluator", "outsider"])
    def test_only_the_chair_and_vice_chair_sign(self, cast, who):
        session = self.decided(cast)
        with pytest.raises(PermissionDenied):
            services.minutes_sign(session=session, by=getattr(cast, who), password=PASSWORD)

    def test_an_open_session_is_not_signed_and_a_signer_signs_once(self, cast):
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        with pytest.raises(PermissionDenied):
            services.minutes_sign(session=session, by=cast.jury_employer, password=PASSWORD)
        decided = self.decided(cast)
        services.minutes_sign(session=decided, by=cast.jury_employer, password=PASSWORD)
        with pytest.raises(PermissionDenied):
            services.minutes_sign(session=decided, by=cast.jury_employer, password=PASSWORD)

    def test_both_signatures_seal_the_session_which_then_refuses_changes(self, cast):
        session = close_and_sign(cast, self.decided_open(cast))
        assert session.minutes_signed_at is not None
        digests = set(session.minutes_signatures.values_list("content_sha256", flat=True))
        assert len(digests) == 1
        member = session.members.get(user=cast.jury_employee)
        with pytest.raises(InvalidTransition):
            services.jury_member_set_presence(member=member, present=False, by=cast.staff_a)
        with pytest.raises(InvalidTransition):
            services.jury_session_add_dossier(
                session=session, dossier=ready_for_jury(cast), by=cast.staff_a
            )
        assert session.status == SessionStatus.CLOSED

    def decided_open(self, cast: Any) -> JurySession:
        dossier = ready_for_jury(cast)
        session = open_session(cast, [dossier])
        proposal = put_award(cast, session, dossier)
        for user in (cast.jury_employer, cast.jury_employee):
            services.vote_cast(proposal=proposal, choice="for", by=user)
        return session

    def test_the_second_signer_must_sign_the_same_content(self, cast):
        session = self.decided(cast)
        services.minutes_sign(session=session, by=cast.jury_employer, password=PASSWORD)
        JurySession.objects.filter(pk=session.pk).update(place="Ailleurs")
        session.refresh_from_db()
        with pytest.raises(DomainError) as info:
            services.minutes_sign(session=session, by=cast.jury_employee, password=PASSWORD)
        assert info.value.code == "minutes_changed"
        assert session.minutes_signed_at is None
