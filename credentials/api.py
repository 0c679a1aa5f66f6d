"""API of the credentials room: the branches' signed status lists and DID documents (public)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.models import Branch

from . import services
from .models import StatusList


class StatusListView(APIView):
    """A branch's signed BitstringStatusListCredential (revocation): public, like the page."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="BitstringStatusListCredential signé."
            )
        }
    )
    def get(self, request: Request, code: str, number: int) -> Response:
        branch = get_object_or_404(Branch, code=code)
        if number != 0 and not StatusList.objects.filter(branch=branch, number=number).exists():
            raise NotFound
        return Response(services.status_list_credential(branch=branch, number=number))


class IssuerView(APIView):
    """A branch's DID document (did:web): every key it signed with, current and retired."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Document DID.")}
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(services.did_document(branch=get_object_or_404(Branch, code=code)))
