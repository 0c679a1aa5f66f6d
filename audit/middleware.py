"""Puts the request's who and from where in context for services, and records refused access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import context
from .services import audit_record

_IGNORED_PREFIXES = ("/static/", "/favicon", "/robots.txt", "/healthz")


def _ignored(path: str) -> bool:
    media = getattr(settings, "MEDIA_URL", "") or ""
    return path.startswith(_IGNORED_PREFIXES) or (media.startswith("/") and path.startswith(media))


class AuditMiddleware:
    """After authentication: 403 for anyone and 404 for a signed-in user become `access.denied`
    events (a 404 on a scoped lookup is how another branch's object is refused)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.enter(context.context_of(request))
        try:
            response = self.get_response(request)
            self._record_refusal(request, response)
            return response
        finally:
            context.leave(token)

    @staticmethod
    def _record_refusal(request: HttpRequest, response: HttpResponse) -> None:
        status = response.status_code
        if status not in (403, 404) or _ignored(request.path):
            return
        user: Any = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if status == 404 and not signed_in:
            # Anonymous 404s are the web's background noise (scanners); not refusals.
            return
        audit_record(
            "access.denied",
            actor=user if signed_in else None,
            request=request,
            details={"status": status},
        )
