"""API of the evaluations room: evaluations and their grids, jury sessions, proposals and
votes, decisions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from branches.access import require_branch_staff
from branches.models import Branch, Role
from candidates.models import Dossier
from core.api.fields import ScopedPrimaryKeyRelatedField
from core.api.idempotency import idempotent

from . import services
from .models import (
    AgendaItem,
    CapacityOutcome,
    CapacityResult,
    Decision,
    DecisionCapacity,
    Evaluation,
    EvaluationKind,
    EvaluationSheet,
    IndicatorMark,
    JuryMember,
    JurySession,
    MemberRole,
    Outcome,
    Proposal,
    Vote,
    VoteChoice,
)

User = get_user_model()


def _evaluators(user: Any) -> Any:
    """People habilitated by a branch the user sees; the service checks eligibility itself."""
    return User.objects.filter(habilitations__branch__in=Branch.objects.visible_to(user)).distinct()


def _referents(user: Any) -> Any:
    return User.objects.filter(
        memberships__role=Role.REFERENT, memberships__branch__in=Branch.objects.visible_to(user)
    ).distinct()


def _jury_members(user: Any) -> Any:
    return User.objects.filter(
        memberships__role=Role.JURY, memberships__branch__in=Branch.objects.visible_to(user)
    ).distinct()


# --- Evaluations and grids -----------------------------------------------------------


class SheetSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = EvaluationSheet
        fields = ["id", "evaluator", "role", "status", "version", "submitted_at"]


class EvaluationSerializer(serializers.ModelSerializer):
    sheets = SheetSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "dossier",
            "kind",
            "status",
            "due_date",
            "appointment_at",
            "appointment_place",
            "appointment_link",
            "appointment_sequence",
            "candidate_answer",
            "candidate_answered_at",
            "created_at",
            "submitted_at",
            "sheets",
        ]
        read_only_fields = fields


class EvaluationCreateSerializer(serializers.Serializer):
    dossier = ScopedPrimaryKeyRelatedField(scope=Dossier.objects.visible_to, model=Dossier)
    kind = serializers.ChoiceField(choices=EvaluationKind.choices)
    external_evaluator = ScopedPrimaryKeyRelatedField(scope=_evaluators, model=User)
    referent = ScopedPrimaryKeyRelatedField(
        scope=_referents, model=User, required=False, allow_null=True
    )
    due_date = serializers.DateField(required=False, allow_null=True)
    # The appointment sent to the evaluators as a calendar invitation: a time, and a place
    # or a video link.
    appointment_at = serializers.DateTimeField(required=False, allow_null=True)
    appointment_place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    appointment_link = serializers.URLField(required=False, allow_blank=True, max_length=500)


class AnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField(
        help_text="true : présence confirmée ; false : absence annoncée."
    )


class AppointmentSerializer(serializers.Serializer):
    """The appointment as it should now be; no date and no place cancel it."""

    appointment_at = serializers.DateTimeField(allow_null=True)
    appointment_place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    appointment_link = serializers.URLField(required=False, allow_blank=True, max_length=500)


class EvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluations of the dossiers the user may see; staff assign them (create)."""

    queryset = Evaluation.objects.none()
    serializer_class = EvaluationSerializer
    filterset_fields = ["dossier", "kind", "status"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> Any:
        return Evaluation.objects.visible_to(self.request.user).prefetch_related("sheets")

    @extend_schema(request=EvaluationCreateSerializer, responses={201: EvaluationSerializer})
    def create(self, request: Request) -> Response:
        form = EvaluationCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        evaluation = services.evaluation_create(by=request.user, **form.validated_data)
        fresh = self.get_queryset().get(pk=evaluation.pk)
        return Response(EvaluationSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppointmentSerializer, responses=EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def appointment(self, request: Request, pk: str | None = None) -> Response:
        """Set, move or cancel the appointment (the branch's staff): everybody convoked gets
        the updated invitation, or its cancellation."""
        evaluation = self.get_object()
        form = AppointmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.evaluation_appointment_change(
            evaluation=evaluation, by=request.user, **form.validated_data
        )
        return Response(EvaluationSerializer(self.get_queryset().get(pk=evaluation.pk)).data)

    @extend_schema(request=AnswerSerializer, responses=EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """The candidate confirms or declines their convocation to the appointment (the
        candidate of the dossier only, as in their space)."""
        evaluation = self.get_object()
        form = AnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.appointment_answer(
            evaluation=evaluation, accept=form.validated_data["accept"], by=request.user
        )
        return Response(EvaluationSerializer(self.get_queryset().get(pk=evaluation.pk)).data)


class MarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorMark
        fields = ["indicator", "mark"]


class ResultSerializer(serializers.ModelSerializer):
    marks = MarkSerializer(many=True, read_only=True)

    class Meta:
        model = CapacityResult
        fields = ["capacity", "outcome", "comment", "marks"]


class SheetSerializer(SheetSummarySerializer):
    evaluation: serializers.PrimaryKeyRelatedField[Evaluation] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    dossier = serializers.IntegerField(source="evaluation.dossier_id", read_only=True)
    results = ResultSerializer(many=True, read_only=True)

    class Meta(SheetSummarySerializer.Meta):
        fields = [*SheetSummarySerializer.Meta.fields, "evaluation", "dossier", "results"]


class MarkInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    mark = serializers.IntegerField(min_value=0, max_value=100)


class ResultInputSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    outcome = serializers.ChoiceField(choices=CapacityOutcome.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    marks = MarkInputSerializer(many=True, required=False, default=list)


class SaveResultsSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        help_text="La version de la grille lue : une grille modifiée depuis donne 409.",
    )
    # What many=True builds, spelled out: the stubs' serializer __init__ lacks max_length.
    results: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ResultInputSerializer(), max_length=500
    )


def _scorers(user: Any) -> Any:
    """Who may hold a grid: habilitated evaluators and référents of branches the user sees."""
    return User.objects.filter(
        Q(pk__in=_evaluators(user).values("pk")) | Q(pk__in=_referents(user).values("pk"))
    )


class ReassignSerializer(serializers.Serializer):
    evaluator = ScopedPrimaryKeyRelatedField(scope=_scorers, model=User)


class SheetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Scoring grids: an evaluator's own, and those of the dossiers their branch runs."""

    queryset = EvaluationSheet.objects.none()
    serializer_class = SheetSerializer
    filterset_fields = ["status", "evaluation"]
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> Any:
        user = self.request.user
        mine = EvaluationSheet.objects.of_evaluator(user)
        managed = EvaluationSheet.objects.filter(
            evaluation__dossier__in=Dossier.objects.managed_by(user)
        )
        return (
            EvaluationSheet.objects.filter(Q(pk__in=mine.values("pk")) | Q(pk__in=managed))
            .select_related("evaluation")
            .prefetch_related("results__marks")
        )

    @extend_schema(request=SaveResultsSerializer, responses=SheetSerializer)
    @action(detail=True, methods=["post"], url_path="save-results")
    def save_results(self, request: Request, pk: str | None = None) -> Response:
        """Save part or all of the grid; 409 `stale_sheet` if it changed since it was read."""
        sheet = self.get_object()
        form = SaveResultsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        entries = {
            row["capacity"]: services.CapacityEntry(
                outcome=row["outcome"],
                comment=row["comment"],
                marks={m["indicator"]: m["mark"] for m in row["marks"]},
            )
            for row in form.validated_data["results"]
        }
        services.sheet_save(
            sheet=sheet,
            entries=entries,
            expected_version=form.validated_data["expected_version"],
            by=request.user,
        )
        return Response(SheetSerializer(self.get_queryset().get(pk=sheet.pk)).data)

    @extend_schema(request=None, responses=SheetSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Send a complete grid; the last one in makes the dossier ready for the jury."""
        sheet = self.get_object()
        services.sheet_submit(sheet=sheet, by=request.user)
        return Response(SheetSerializer(self.get_queryset().get(pk=sheet.pk)).data)

    @extend_schema(request=ReassignSerializer, responses=SheetSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        """Staff hand a grid still being filled in to another evaluator (another référent for
        the référent's half); the person replaced loses the evaluation at once."""
        sheet = self.get_object()
        # The holder of the grid sees it but may not hand it on: 403 before the body is read.
        require_branch_staff(request.user, sheet.evaluation.dossier.branch_id)
        form = ReassignSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        services.evaluation_reassign(
            sheet=sheet, evaluator=form.validated_data["evaluator"], by=request.user
        )
        return Response(SheetSerializer(self.get_queryset().get(pk=sheet.pk)).data)


# --- Jury sessions -------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = JuryMember
        fields = ["id", "user", "college", "role", "present", "answer", "answered_at"]


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["dossier", "position"]


class JurySessionSerializer(serializers.ModelSerializer):
    branch = ScopedPrimaryKeyRelatedField(scope=Branch.objects.visible_to, model=Branch)
    members = MemberSerializer(many=True, read_only=True)
    agenda = AgendaItemSerializer(many=True, read_only=True)

    class Meta:
        model = JurySession
        fields = [
            "id",
            "branch",
            "held_on",
            "place",
            "status",
            "opened_at",
            "closed_at",
            "members",
            "agenda",
        ]
        read_only_fields = ["status", "opened_at", "closed_at"]


class ConvokeSerializer(serializers.Serializer):
    user = ScopedPrimaryKeyRelatedField(scope=_jury_members, model=User)
    role = serializers.ChoiceField(choices=MemberRole.choices, default=MemberRole.MEMBER)


class AddDossierSerializer(serializers.Serializer):
    dossier = ScopedPrimaryKeyRelatedField(scope=Dossier.objects.visible_to, model=Dossier)


class PresenceSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    present = serializers.BooleanField()
    excused = serializers.BooleanField(
        required=False, default=False, help_text="Absent et excusé (à l'appel seulement)."
    )


class ReleaseSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class JurySessionViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Sessions of the branches the user runs, and those the user is convoked to."""

    queryset = JurySession.objects.none()
    serializer_class = JurySessionSerializer
    filterset_fields = ["branch", "status"]
    ordering_fields = ["held_on", "id"]
    ordering = ["-held_on", "-id"]

    def get_queryset(self) -> Any:
        return JurySession.objects.visible_to(self.request.user).prefetch_related(
            "members", "agenda"
        )

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.jury_session_create(
            by=self.request.user, **serializer.validated_data
        )

    def _fresh(self, session: JurySession) -> Any:
        return JurySessionSerializer(
            self.get_queryset().get(pk=session.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=ConvokeSerializer, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"])
    def convoke(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        form = ConvokeSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        services.jury_member_convoke(session=session, by=request.user, **form.validated_data)
        return Response(self._fresh(session))

    @extend_schema(request=PresenceSerializer, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"])
    def presence(self, request: Request, pk: str | None = None) -> Response:
        """Roll call before opening (present, absent, or absent and excused); once the session
        is open, a member who leaves is marked absent."""
        session = self.get_object()
        form = PresenceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = session.members.filter(pk=form.validated_data["member"]).first()
        if member is None:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"member": [_("Membre inconnu pour cette session.")]})
        services.jury_member_set_presence(
            member=member,
            present=form.validated_data["present"],
            excused=form.validated_data["excused"],
            by=request.user,
        )
        return Response(self._fresh(session))

    @extend_schema(request=ReleaseSerializer, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw a convocation before the session opens: the person no longer sees it."""
        session = self.get_object()
        require_branch_staff(request.user, session.branch_id)
        form = ReleaseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = session.members.filter(pk=form.validated_data["member"]).first()
        if member is None:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"member": [_("Membre inconnu pour cette session.")]})
        services.jury_member_release(member=member, by=request.user)
        return Response(self._fresh(session))

    @extend_schema(request=AnswerSerializer, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """The member convoked confirms or declines their convocation (their own seat only,
        as on the session's page)."""
        session = self.get_object()
        form = AnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = session.members.filter(user_id=request.user.pk).first()
        if member is None:
            raise PermissionDenied
        services.convocation_answer(
            member=member, accept=form.validated_data["accept"], by=request.user
        )
        return Response(self._fresh(session))

    @extend_schema(request=AddDossierSerializer, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"], url_path="add-dossier")
    def add_dossier(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        form = AddDossierSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        services.jury_session_add_dossier(
            session=session, dossier=form.validated_data["dossier"], by=request.user
        )
        return Response(self._fresh(session))

    @extend_schema(request=None, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        services.jury_session_open(session=session, by=request.user)
        return Response(self._fresh(session))

    @extend_schema(request=None, responses=JurySessionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        services.jury_session_close(session=session, by=request.user)
        return Response(self._fresh(session))


# --- Decisions -----------------------------------------------------------------------


class DecisionCapacitySerializer(serializers.ModelSerializer):
    class Meta:
        model = DecisionCapacity
        fields = ["capacity", "validated", "overridden", "reason"]


class DecisionSerializer(serializers.ModelSerializer):
    capacities = DecisionCapacitySerializer(many=True, read_only=True)
    # What many=True builds, spelled out so that its type is known.
    certificates = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "dossier",
            "session",
            "outcome",
            "reasons",
            "status",
            "decided_at",
            "recorded_by",
            "proposal",
            "capacities",
            "certificates",
        ]
        read_only_fields = fields


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The jury's decisions on the dossiers the user may see. A decision is not written here:
    it is the proposal (`/proposals/`) the members present adopt by their votes."""

    queryset = Decision.objects.none()
    serializer_class = DecisionSerializer
    filterset_fields = ["session", "dossier", "outcome", "status"]
    ordering_fields = ["decided_at", "id"]
    ordering = ["-decided_at", "-id"]

    def get_queryset(self) -> Any:
        return Decision.objects.filter(
            dossier__in=Dossier.objects.visible_to(self.request.user)
        ).prefetch_related("capacities", "certificates")


# --- Proposals and votes ----------------------------------------------------------------


class VoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vote
        fields = ["member", "choice", "by_show_of_hands", "cast_at"]
        read_only_fields = fields


class ProposalSerializer(serializers.ModelSerializer):
    votes = VoteSerializer(many=True, read_only=True)
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "session",
            "dossier",
            "outcome",
            "reasons",
            "validated_capacity_ids",
            "override_reasons",
            "status",
            "put_by",
            "put_at",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "members_present",
            "casting_vote",
            "concluded_at",
            "withdraw_reason",
            "votes",
            "decision",
        ]
        read_only_fields = fields

    def get_decision(self, proposal: Proposal) -> int | None:
        decision = getattr(proposal, "decision", None)
        return decision.pk if decision else None


class OverrideSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = serializers.CharField(max_length=2000)


class ProposalCreateSerializer(serializers.Serializer):
    session = ScopedPrimaryKeyRelatedField(scope=JurySession.objects.visible_to, model=JurySession)
    dossier = ScopedPrimaryKeyRelatedField(scope=Dossier.objects.visible_to, model=Dossier)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    validated_capacities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        allow_null=True,
        max_length=500,
        help_text="Capacités validées ; par défaut, celles que l'évaluation finale propose.",
    )
    overrides: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=OverrideSerializer(), required=False, default=list, max_length=500
    )
    reasons = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class VoteCastSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class HandSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class ShowOfHandsSerializer(serializers.Serializer):
    votes: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=HandSerializer(), max_length=200
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Proposed decisions put to the jury's vote, in the sessions the user sees. The chair
    (or branch staff as secretary) puts one; each member present votes once; when all have
    voted the branch's majority rule decides, and an adopted proposal becomes the decision."""

    queryset = Proposal.objects.none()
    serializer_class = ProposalSerializer
    filterset_fields = ["session", "dossier", "status"]
    ordering_fields = ["put_at", "id"]
    ordering = ["put_at", "id"]

    def get_queryset(self) -> Any:
        return (
            Proposal.objects.filter(session__in=JurySession.objects.visible_to(self.request.user))
            .select_related("decision")
            .prefetch_related("votes")
        )

    def _fresh(self, proposal: Proposal, *, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=proposal.pk)
        return Response(ProposalSerializer(fresh).data, status=code)

    @extend_schema(request=ProposalCreateSerializer, responses={201: ProposalSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        """Put a proposal to the vote; send an Idempotency-Key so that a retry puts nothing twice."""
        form = ProposalCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        chosen = data.get("validated_capacities")
        proposal = services.proposal_put(
            session=data["session"],
            dossier=data["dossier"],
            outcome=data["outcome"],
            by=request.user,
            validated_capacity_ids=set(chosen) if chosen is not None else None,
            override_reasons={o["capacity"]: o["reason"] for o in data["overrides"]},
            reasons=data["reasons"],
        )
        return self._fresh(proposal, code=status.HTTP_201_CREATED)

    @extend_schema(request=VoteCastSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, pk: str | None = None) -> Response:
        """The user's own vote, as a member present."""
        proposal = self.get_object()
        form = VoteCastSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.vote_cast(proposal=proposal, choice=form.validated_data["choice"], by=request.user)
        return self._fresh(proposal)

    @extend_schema(request=ShowOfHandsSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"], url_path="show-of-hands")
    def show_of_hands(self, request: Request, pk: str | None = None) -> Response:
        """The secretary's record of a show of hands: each member's seat id and vote."""
        proposal = self.get_object()
        form = ShowOfHandsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.show_of_hands_record(
            proposal=proposal,
            choices={hand["member"]: hand["choice"] for hand in form.validated_data["votes"]},
            by=request.user,
        )
        return self._fresh(proposal)

    @extend_schema(request=WithdrawSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        form = WithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.proposal_withdraw(
            proposal=proposal, reason=form.validated_data["reason"], by=request.user
        )
        return self._fresh(proposal)
