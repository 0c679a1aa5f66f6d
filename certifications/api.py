"""API of the certifications room: the CQPI catalogue, certificates, and public verification."""

from __future__ import annotations

import logging
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.access import roles_of
from core.api.exceptions import Conflict, error_body
from core.api.pagination import IdCursorPagination
from core.api.throttles import VerifyThrottle

from . import services
from .models import (
    Bloc,
    Capacity,
    Certificate,
    CertificateStatus,
    Indicator,
    Referentiel,
    ReferentielVersion,
    RenderStatus,
)

logger = logging.getLogger(__name__)


# --- The catalogue -------------------------------------------------------------------


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "label", "threshold", "max_mark", "order"]


class CapacitySerializer(serializers.ModelSerializer):
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Capacity
        fields = ["id", "code", "title", "order", "indicators"]


class BlocSerializer(serializers.ModelSerializer):
    capacities = CapacitySerializer(many=True, read_only=True)

    class Meta:
        model = Bloc
        fields = ["id", "code", "title", "order", "capacities"]


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferentielVersion
        fields = ["id", "referentiel", "number", "effective_from", "status"]


class VersionSerializer(VersionSummarySerializer):
    blocs = BlocSerializer(many=True, read_only=True)

    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "notes", "blocs"]


class ReferentielSerializer(serializers.ModelSerializer):
    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Referentiel
        fields = [
            "id",
            "code",
            "title",
            "description",
            "level",
            "eqf_level",
            "nsf_codes",
            "status",
            "validated_on",
            "illustrative",
            "versions",
        ]


class ReferentielViewSet(viewsets.ReadOnlyModelViewSet):
    """The national catalogue of CQPI, readable by every signed-in user."""

    queryset = Referentiel.objects.prefetch_related("versions").order_by("title")
    serializer_class = ReferentielSerializer
    filterset_fields = ["status", "code"]
    ordering_fields = ["title", "id"]


class ReferentielVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Versions of a référentiel; the detail carries its blocs, capacities and indicators."""

    queryset = ReferentielVersion.objects.select_related("referentiel").order_by(
        "referentiel__title", "-number"
    )
    filterset_fields = ["referentiel", "status"]
    ordering_fields = ["number", "effective_from", "id"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("blocs__capacities__indicators")
        return queryset

    def get_serializer_class(self) -> Any:
        return VersionSerializer if self.action == "retrieve" else VersionSummarySerializer


# --- Certificates --------------------------------------------------------------------


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "kind",
            "dossier",
            "decision",
            "reissue_of",
            "branch",
            "version",
            "holder_name",
            "issued_on",
            "place_of_issue",
            "valid_until",
            "status",
            "revoked_at",
            "revocation_reason",
            "render_status",
            "verification_code",
        ]
        read_only_fields = fields


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Motif de la révocation.")


class ReissueSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Motif de la réédition.")
    holder_first_name = serializers.CharField(max_length=120, required=False)
    holder_last_name = serializers.CharField(max_length=120, required=False)


class CertificateFilter(filters.FilterSet):
    class Meta:
        model = Certificate
        fields = ["status", "kind", "branch", "dossier", "render_status"]


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for `application/pdf`; errors are still written as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        return renderers.JSONRenderer().render(data)


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Certificates the user may see: their own, or their branch's as staff.

    Certificates are never deleted (DELETE is not offered): revocation needs a reason and is
    the `revoke` action; a correction is a `reissue` that supersedes the certificate.
    """

    queryset = Certificate.objects.none()
    serializer_class = CertificateSerializer
    pagination_class = IdCursorPagination
    filterset_class = CertificateFilter
    ordering_fields = ["id"]

    def get_queryset(self) -> Any:
        return Certificate.objects.visible_to(self.request.user)

    @extend_schema(
        request=None,
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Le PDF."),
            410: OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="Révoqué ou remplacé: plus remis."
            ),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def download(self, request: Request, pk: str | None = None) -> Any:
        """The PDF, to its holder and to the branch's staff; 409 while it is being generated."""
        certificate = self.get_object()
        if not certificate.is_valid and not roles_of(request.user).is_staff_of(
            certificate.branch_id
        ):
            return Response(
                error_body("certificate_withdrawn", str(_withdrawn_message())),
                status=status.HTTP_410_GONE,
            )
        if certificate.render_status != RenderStatus.READY or not certificate.pdf:
            raise _not_ready()
        try:
            handle = certificate.pdf.open("rb")
        except FileNotFoundError:
            logger.error("certificate %s is marked ready but its PDF is missing", certificate.pk)
            raise _not_ready() from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{certificate.number}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(
        request=None,
        responses={
            (200, "application/vc+ld+json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="L'attestation numérique signée (Open Badges 3.0, docs/credentials.md).",
            ),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="En cours de génération."),
            410: OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="Révoqué ou remplacé: plus remis."
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def credential(self, request: Request, pk: str | None = None) -> Response:
        """The signed Open Badges 3.0 credential, to its holder and the branch's staff; made
        with the PDF, so 409 until then."""
        certificate = self.get_object()
        if not certificate.is_valid and not roles_of(request.user).is_staff_of(
            certificate.branch_id
        ):
            return Response(
                error_body("certificate_withdrawn", str(_withdrawn_message())),
                status=status.HTTP_410_GONE,
            )
        if not certificate.credential:
            raise _not_ready()
        response = Response(certificate.credential)
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        certificate = self.get_object()
        form = RevokeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.certificate_revoke(
            certificate=certificate, reason=form.validated_data["reason"], by=request.user
        )
        certificate.refresh_from_db()
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(request=ReissueSerializer, responses={201: CertificateSerializer})
    @action(detail=True, methods=["post"])
    def reissue(self, request: Request, pk: str | None = None) -> Response:
        """A corrected copy with its own number; the original becomes « superseded »."""
        certificate = self.get_object()
        form = ReissueSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        replacement = services.certificate_reissue(
            certificate=certificate, by=request.user, **form.validated_data
        )
        return Response(CertificateSerializer(replacement).data, status=status.HTTP_201_CREATED)


def _withdrawn_message() -> str:
    from django.utils.translation import gettext as _

    return _("Ce document a été révoqué ou remplacé : il n'est plus délivré.")


def _not_ready() -> Conflict:
    from django.utils.translation import gettext as _

    error = Conflict(
        _("Le PDF est en cours de génération : réessayez dans une minute."), code="not_ready"
    )
    return error


# --- Public verification -------------------------------------------------------------

# Verification codes are secrets.token_urlsafe(16) (22 characters); the column holds 40.
_MAX_CODE_LENGTH = 40


class VerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField(help_text="Authentique, en vigueur, non révoqué.")
    status = serializers.ChoiceField(choices=CertificateStatus.choices)
    number = serializers.CharField()
    kind = serializers.CharField()
    holder_name = serializers.CharField()
    cqpi_title = serializers.CharField(allow_blank=True)
    registration_code = serializers.CharField(allow_blank=True)
    branch_name = serializers.CharField()
    issued_on = serializers.DateField()
    place_of_issue = serializers.CharField()
    valid_until = serializers.DateField(allow_null=True)
    partial_expired = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class VerifyView(APIView):
    """What anyone holding the QR code may know: is the document genuine and still valid.

    Public and throttled per address; an unknown code is a 404 whatever it looks like.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyThrottle]

    @extend_schema(operation_id="verify_retrieve", responses=VerificationSerializer)
    def get(self, request: Request, code: str) -> Response:
        certificate = None
        if len(code) <= _MAX_CODE_LENGTH:
            certificate = (
                Certificate.objects.select_related("branch").filter(verification_code=code).first()
            )
        if certificate is None:
            raise NotFound
        snapshot = certificate.snapshot or {}
        registration = snapshot.get("registration") or {}
        partial_expired = bool(
            certificate.valid_until and certificate.valid_until < timezone.localdate()
        )
        data = {
            "valid": certificate.is_valid and not partial_expired,
            "status": certificate.status,
            "number": certificate.number,
            "kind": certificate.kind,
            "holder_name": certificate.holder_name,
            "cqpi_title": (snapshot.get("cqpi") or {}).get("title", ""),
            "registration_code": registration.get("code", "")
            if isinstance(registration, dict)
            else "",
            "branch_name": (snapshot.get("branch") or {}).get("name") or certificate.branch.name,
            "issued_on": certificate.issued_on,
            "place_of_issue": certificate.place_of_issue,
            "valid_until": certificate.valid_until,
            "partial_expired": partial_expired,
            "revoked_at": certificate.revoked_at,
        }
        response = Response(VerificationSerializer(data).data)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "no-store"
        return response


class DocumentUploadSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="Le PDF à vérifier, tel qu'il a été reçu.")


class IssuedDocumentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    holder = serializers.CharField()
    title = serializers.CharField(allow_blank=True)


class DocumentVerdictSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=["authentic", "altered", "revoked", "unknown"],
        help_text="authentic : ces octets ont été délivrés et leur cachet est valide ; altered : "
        "le cachet de la plateforme est là mais le contenu a changé ; revoked ; unknown.",
    )
    message = serializers.CharField()
    unsealed = serializers.BooleanField(help_text="Délivré avant la mise en place du cachet.")
    document = IssuedDocumentSerializer(
        allow_null=True, help_text="Seulement pour un document délivré (authentic, revoked)."
    )


class DocumentVerifyView(APIView):
    """The API twin of "Vérifier un document": a PDF uploaded (multipart) by anyone.

    Public, throttled with the verification codes; an unknown document gets one answer.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyThrottle]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="verify_document",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses=DocumentVerdictSerializer,
    )
    def post(self, request: Request) -> Response:
        from .verification import document_check, verdict_message

        upload = DocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        verdict = document_check(uploaded=upload.validated_data["document"])
        document = verdict.document
        data = {
            "verdict": verdict.verdict.value,
            "message": verdict_message(verdict.verdict),
            "unsealed": verdict.unsealed,
            "document": None
            if document is None
            else {
                "kind": document.kind,
                "number": document.number,
                "issued_on": document.issued_on,
                "holder": document.holder,
                "title": document.title,
            },
        }
        response = Response(DocumentVerdictSerializer(data).data)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "no-store"
        return response
