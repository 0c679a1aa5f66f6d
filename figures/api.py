"""The national figures as JSON: the same filters, scope and numbers as the page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .forms import FiguresFilterForm
from .selectors import figures_for


class StatisticsView(APIView):
    """Awards by year, CQPI, branch and access route; shares, rates and the median delay."""

    @extend_schema(
        parameters=[
            OpenApiParameter("year_from", int, description="Première année (incluse)."),
            OpenApiParameter("year_to", int, description="Dernière année (incluse)."),
            OpenApiParameter("branch", int, description="Identifiant de branche."),
            OpenApiParameter("cqpi", int, description="Identifiant du CQPI (référentiel)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        form = FiguresFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            # The API's one error shape, with the form's field errors and their codes.
            raise ValidationError(
                {
                    field: [ErrorDetail(e["message"], code=e["code"]) for e in errors]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        filters = form.figure_filters()
        body: dict[str, Any] = {
            "filters": {
                "year_from": filters.year_from,
                "year_to": filters.year_to,
                "branch_ids": list(filters.branch_ids) if filters.branch_ids is not None else None,
                "cqpi": filters.referentiel_id,
            },
            **figures_for(filters),
        }
        return Response(body)
