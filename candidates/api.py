"""API of the candidates room: candidates, dossiers, their transitions, and bulk opening."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from branches.models import Branch, Company
from certifications.models import ReferentielVersion
from core.api.fields import ScopedPrimaryKeyRelatedField
from core.api.idempotency import idempotent
from core.api.pagination import DeferredJoinCursorPagination
from core.errors import DomainError

from . import services
from .models import AccessRoute, Candidate, Dossier, DossierHistory

BULK_MAX_ITEMS = 1000


# --- Candidates ----------------------------------------------------------------------


class CandidateSerializer(serializers.ModelSerializer):
    branch = ScopedPrimaryKeyRelatedField(scope=Branch.objects.visible_to, model=Branch)
    # Checked on input only: addresses already stored (imports) are returned as they are.
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)

    class Meta:
        model = Candidate
        fields = [
            "id",
            "branch",
            "last_name",
            "first_name",
            "birth_date",
            "birth_place",
            "email",
            # The rest of the identity the CDC declaration needs (docs/cdc.md): optional,
            # checked by the service when given.
            "usage_name",
            "first_name_2",
            "first_name_3",
            "sex",
            "birth_insee_code",
            "birth_postal_code",
            "birth_country_code",
            "birth_country_label",
        ]
        # The service checks duplicates itself, with a message in the domain's words.
        validators: list[Any] = []

    def validate_email(self, value: str) -> str:
        if value:
            validate_email(value)
        return value


class CandidateViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Candidates of the branches the user runs, and the user's own candidate profile."""

    queryset = Candidate.objects.none()
    serializer_class = CandidateSerializer
    filterset_fields = ["branch"]
    ordering_fields = ["last_name", "id"]
    ordering = ["last_name", "first_name", "id"]

    def get_queryset(self) -> Any:
        return Candidate.objects.visible_to(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        branch = data.pop("branch")
        serializer.instance = services.candidate_create(
            branch_id=branch.pk, by=self.request.user, **data
        )


# --- Dossiers ------------------------------------------------------------------------


class DossierSerializer(serializers.ModelSerializer):
    candidate_name = serializers.CharField(source="candidate.full_name", read_only=True)
    referentiel_title = serializers.CharField(source="version.referentiel.title", read_only=True)

    class Meta:
        model = Dossier
        fields = [
            "id",
            "reference",
            "candidate",
            "candidate_name",
            "branch",
            "company",
            "version",
            "referentiel_title",
            "access_route",
            "first_certification",
            "status",
            "opened_on",
            "status_changed_at",
        ]
        read_only_fields = fields


class DossierCreateSerializer(serializers.Serializer):
    candidate = ScopedPrimaryKeyRelatedField(scope=Candidate.objects.visible_to, model=Candidate)
    version = ScopedPrimaryKeyRelatedField(
        scope=lambda user: ReferentielVersion.objects.all(), model=ReferentielVersion
    )
    company = ScopedPrimaryKeyRelatedField(
        scope=Company.objects.visible_to, model=Company, required=False, allow_null=True
    )
    access_route = serializers.ChoiceField(choices=AccessRoute.choices)
    first_certification = serializers.BooleanField(default=False)
    opened_on = serializers.DateField(required=False)


class BulkDossierSerializer(serializers.Serializer):
    # What many=True builds, spelled out: the stubs' serializer __init__ lacks max_length.
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=DossierCreateSerializer(), allow_empty=False, max_length=BULK_MAX_ITEMS
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    dossiers = DossierSerializer(many=True)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReasonSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text="Motif (obligatoire).")


class AdmissibilitySerializer(serializers.Serializer):
    admissible = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class HistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = DossierHistory
        fields = ["from_status", "to_status", "by", "at", "comment"]


class DossierFilter(filters.FilterSet):
    opened_after = filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = Dossier
        fields = ["status", "branch", "access_route", "candidate", "company", "version"]


class DossierViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Dossiers the user may see, under the portal's rules; transitions are actions."""

    queryset = Dossier.objects.none()
    serializer_class = DossierSerializer
    pagination_class = DeferredJoinCursorPagination
    filterset_class = DossierFilter
    ordering_fields = ["id"]

    def get_queryset(self) -> Any:
        return Dossier.objects.visible_to(self.request.user).with_list_relations()

    def _open(self, data: dict[str, Any]) -> Dossier:
        return services.dossier_open(by=self.request.user, **data)

    @extend_schema(request=DossierCreateSerializer, responses={201: DossierSerializer})
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = DossierCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        dossier = self._open(dict(form.validated_data))
        return Response(self._out(dossier), status=status.HTTP_201_CREATED)

    def _out(self, dossier: Dossier) -> Any:
        fresh = self.get_queryset().get(pk=dossier.pk)
        return DossierSerializer(fresh).data

    @extend_schema(request=BulkDossierSerializer, responses={201: BulkResultSerializer})
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request: Request) -> Response:
        """Open up to 1,000 dossiers at once: all of them, or none with each item's errors."""
        form = BulkDossierSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        items = form.validated_data["items"]
        errors: dict[str, Any] = {}
        created: list[int] = []
        with transaction.atomic():
            for index, item in enumerate(items):
                try:
                    created.append(self._open(dict(item)).pk)
                except DomainError as exc:
                    errors[str(index)] = {"non_field_errors": [_error(exc.message, exc.code)]}
                except PermissionDenied:
                    errors[str(index)] = {
                        "candidate": [
                            _error(
                                _("Vous ne gérez pas la branche de ce candidat."),
                                "permission_denied",
                            )
                        ]
                    }
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise ValidationError({"items": errors})
        dossiers = self.get_queryset().filter(pk__in=created).order_by("id")
        return Response(
            {"created": len(created), "dossiers": DossierSerializer(dossiers, many=True).data},
            status=status.HTTP_201_CREATED,
        )

    def _transition(self, request: Request, form_class: Any, apply: Any) -> Response:
        dossier = self.get_object()
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        apply(dossier, form.validated_data)
        return Response(self._out(dossier))

    @extend_schema(request=AdmissibilitySerializer, responses=DossierSerializer)
    @action(detail=True, methods=["post"], url_path="rule-admissibility")
    def rule_admissibility(self, request: Request, pk: str | None = None) -> Response:
        """Recevabilité of a VAE dossier."""
        return self._transition(
            request,
            AdmissibilitySerializer,
            lambda d, v: services.dossier_rule_admissibility(dossier=d, by=request.user, **v),
        )

    @extend_schema(request=CommentSerializer, responses=DossierSerializer)
    @action(detail=True, methods=["post"], url_path="start-positioning")
    def start_positioning(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(
            request,
            CommentSerializer,
            lambda d, v: services.dossier_start_positioning(dossier=d, by=request.user, **v),
        )

    @extend_schema(request=CommentSerializer, responses=DossierSerializer)
    @action(detail=True, methods=["post"], url_path="start-evaluation")
    def start_evaluation(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(
            request,
            CommentSerializer,
            lambda d, v: services.dossier_start_evaluation(dossier=d, by=request.user, **v),
        )

    @extend_schema(request=ReasonSerializer, responses=DossierSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(
            request,
            ReasonSerializer,
            lambda d, v: services.dossier_withdraw(dossier=d, by=request.user, **v),
        )

    @extend_schema(responses=HistorySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        dossier = self.get_object()
        return Response(HistorySerializer(dossier.history.all(), many=True).data)


def _error(message: str, code: str) -> ErrorDetail:
    return ErrorDetail(str(message), code=code)
