"""Refuse a request body too large to be any upload we accept, before anything reads it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.api.exceptions import error_body


class RequestBodyLimitMiddleware:
    """A declared body over REQUEST_BODY_MAX_BYTES gets 413 at once: Django would otherwise
    stream it whole to a temporary file before the upload checks refuse it. (A body sent
    without Content-Length is not read by Django at all.) The proxy in front should cap
    bodies at the same size, so that such a body never reaches a worker."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_BODY_MAX_BYTES
        if length <= limit:
            return self.get_response(request)
        message = _("La requête est trop volumineuse : %(limit)s au plus.") % {
            "limit": filesizeformat(limit)
        }
        if request.path_info.startswith("/api/"):
            return JsonResponse(error_body("request_too_large", message), status=413)
        page = render_to_string("413.html", {"message": message})
        # The unread body stays on the connection: close it rather than read it.
        response = HttpResponse(page, status=413)
        response["Connection"] = "close"
        return response
