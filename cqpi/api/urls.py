"""URLs of the REST API (/api/v1/): each room's viewsets, tokens, verification, schema and docs."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from branches.api import BranchViewSet, CompanyViewSet
from candidates.api import CandidateViewSet, DossierViewSet
from certifications.api import (
    CertificateViewSet,
    DocumentVerifyView,
    ReferentielVersionViewSet,
    ReferentielViewSet,
    VerifyView,
)
from credentials.api import IssuerView, StatusListView
from evaluations.api import (
    DecisionViewSet,
    EvaluationViewSet,
    JurySessionViewSet,
    ProposalViewSet,
    SheetViewSet,
)

from . import tokens

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("branches", BranchViewSet, basename="branch")
router.register("companies", CompanyViewSet, basename="company")
router.register("referentiels", ReferentielViewSet, basename="referentiel")
router.register("referentiel-versions", ReferentielVersionViewSet, basename="referentiel-version")
router.register("candidates", CandidateViewSet, basename="candidate")
router.register("dossiers", DossierViewSet, basename="dossier")
router.register("evaluations", EvaluationViewSet, basename="evaluation")
router.register("evaluation-sheets", SheetViewSet, basename="evaluation-sheet")
router.register("jury-sessions", JurySessionViewSet, basename="jury-session")
router.register("proposals", ProposalViewSet, basename="proposal")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns: list[Any] = [
    path("auth/tokens/", tokens.TokenListCreate.as_view(), name="token_list"),
    path("auth/tokens/<str:token_id>/", tokens.TokenDestroy.as_view(), name="token_detail"),
    path("verify/document/", DocumentVerifyView.as_view(), name="verify_document"),
    path("verify/<str:code>/", VerifyView.as_view(), name="verify"),
    path("issuers/<slug:code>/", IssuerView.as_view(), name="issuer"),
    path(
        "issuers/<slug:code>/status-lists/<int:number>/",
        StatusListView.as_view(),
        name="status_list",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("statistics/", include("figures.api_urls")),
    path("", include(router.urls)),
]
