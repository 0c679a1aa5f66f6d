"""Error handlers: the API answers its JSON error shape, the portal a page of its own.

The 500 handler must work with the database down (a restart, an outage): it renders
without a request context, touches no model and no session.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework.exceptions import NotFound

API_PREFIX = "/api/"


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    from core.api.exceptions import error_body

    return JsonResponse(error_body(code, message), status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error("not_found", str(NotFound.default_detail), 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest, *args: Any) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(
            "server_error",
            _("Le service est momentanément indisponible ; réessayez dans quelques instants."),
            500,
        )
    return HttpResponse(loader.get_template("500.html").render(), status=500)
