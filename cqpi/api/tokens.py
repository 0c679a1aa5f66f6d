"""Machine tokens: their owner creates (shown once), lists and revokes them; stored hashed."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import serializers, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.services import token_second_factor_check
from audit.services import audit_record


class TokenSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="token_key", read_only=True, help_text="Début du jeton.")

    class Meta:
        model = AuthToken
        fields = ["id", "created", "expiry"]


class TokenCreateSerializer(serializers.Serializer):
    expiry_days = serializers.IntegerField(
        required=False, min_value=1, max_value=365, help_text="Durée de validité en jours."
    )
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        write_only=True,
        help_text=(
            "Code de double authentification (ou code de secours), requis avec HTTP Basic "
            "pour qui a activé la double authentification."
        ),
    )


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Le jeton, montré une seule fois.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


def _authenticated_by(request: Request) -> str:
    authenticator = request.successful_authenticator
    return {
        BasicAuthentication: "password",
        SessionAuthentication: "session",
        TokenAuthentication: "token",
    }.get(type(authenticator), "other")


class _TokenView(GenericAPIView):
    # Basic authentication only here, to obtain a first token with a password.
    authentication_classes = [TokenAuthentication, SessionAuthentication, BasicAuthentication]
    serializer_class = TokenSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        current = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
        return AuthToken.objects.filter(current, user_id=getattr(self.request.user, "pk", None))


class TokenListCreate(_TokenView):
    @extend_schema(operation_id="tokens_list", responses=TokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = self.get_queryset().order_by("-created")
        return Response(TokenSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        request=TokenCreateSerializer,
        responses={201: NewTokenSerializer},
    )
    def post(self, request: Request) -> Response:
        form = TokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if isinstance(request.successful_authenticator, BasicAuthentication):
            # A browser session passed the second factor already (the middleware refuses it
            # otherwise), and a token was minted after it; a bare password has not.
            token_second_factor_check(
                user=request.user, code=form.validated_data.get("otp_token", "")
            )
        days = form.validated_data.get("expiry_days")
        expiry = datetime.timedelta(days=days) if days else knox_settings.TOKEN_TTL
        instance, token = AuthToken.objects.create(request.user, expiry)
        # The token's key prefix names it (its primary key is the secret's digest).
        audit_record(
            "api.token_created",
            actor=request.user,
            label=instance.token_key,
            details={"expiry_days": days, "via": _authenticated_by(request)},
        )
        data = dict(TokenSerializer(instance).data)
        data["token"] = token
        return Response(data, status=status.HTTP_201_CREATED)


class TokenDestroy(_TokenView):
    lookup_field = "token_key"
    lookup_url_kwarg = "token_id"

    @extend_schema(operation_id="tokens_revoke", responses={204: None})
    def delete(self, request: Request, token_id: str) -> Response:
        deleted, _ = self.get_queryset().filter(token_key=token_id).delete()
        if not deleted:
            raise NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)
