"""API of the branches room: branches and companies, read through the user's scope."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, viewsets

from .models import Branch, Company


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = [
            "id",
            "code",
            "prefix",
            "name",
            "place_of_issue",
            "partial_validity_months",
            "quorum_rule",
            "quorum_minimum",
        ]


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "branch", "name", "siret", "city"]


class BranchViewSet(viewsets.ReadOnlyModelViewSet):
    """Branches the user belongs to (all of them for national roles)."""

    queryset = Branch.objects.none()
    serializer_class = BranchSerializer
    filterset_fields = ["code"]
    ordering_fields = ["name", "code", "id"]
    ordering = ["name"]

    def get_queryset(self) -> Any:
        return Branch.objects.visible_to(self.request.user)


class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    """Companies of the branches the user runs, or the user's own company as référent."""

    queryset = Company.objects.none()
    serializer_class = CompanySerializer
    filterset_fields = ["branch", "siret"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def get_queryset(self) -> Any:
        return Company.objects.visible_to(self.request.user)
