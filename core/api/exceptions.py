"""One JSON shape for every API error, with stable machine-readable codes.

    {"error": {"code": "...", "message": "...", "fields": {"field": [{"code": "...", "message": "..."}]}}}

Domain refusals from the services become 400 (409 for a transition from the wrong state or a
stale grid), `PermissionDenied` 403, unknown or foreign objects 404. Messages are translated
into the request's language (Accept-Language, French by default).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import AccessRefused, DomainError, InvalidTransition

# Codes of domain errors that mean "the state moved under you" rather than "bad input".
CONFLICT_CODES = frozenset({"invalid_transition", "stale_sheet"})


class DomainRefusal(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "domain_error"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def from_domain_error(exc: DomainError) -> exceptions.APIException:
    if isinstance(exc, AccessRefused):
        return exceptions.PermissionDenied(detail=exc.message, code=exc.code)
    if isinstance(exc, InvalidTransition) or exc.code in CONFLICT_CODES:
        return Conflict(detail=exc.message, code=exc.code)
    return DomainRefusal(detail=exc.message, code=exc.code)


def _field_errors(detail: Any) -> Any:
    """Nested details → {"field": [{"code", "message"}]}, keeping list indexes of bulk items."""
    if isinstance(detail, dict):
        return {str(key): _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail) for item in detail):
            return [{"code": item.code, "message": str(item)} for item in detail]
        # A list of per-item dicts (many=True): keep only the items that failed, by index.
        return {
            str(index): _field_errors(item)
            for index, item in enumerate(detail)
            if item not in ({}, [], None)
        }
    if isinstance(detail, exceptions.ErrorDetail):
        return [{"code": detail.code, "message": str(detail)}]
    return [{"code": "invalid", "message": str(detail)}]


def error_body(code: str, message: str, fields: Any | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        exc = from_domain_error(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = _field_errors(detail) if isinstance(detail, dict) else {}
        non_field = detail if isinstance(detail, list) else []
        message = str(non_field[0]) if non_field else _("Les données envoyées sont invalides.")
        code = getattr(non_field[0], "code", "invalid") if non_field else "invalid"
        if code in (None, "invalid") and non_field:
            code = "invalid"
        response.data = error_body(code or "invalid", message, fields)
    else:
        plain = exc.detail
        message = str(plain) if not isinstance(plain, (list, dict)) else str(exc.default_detail)
        code = getattr(plain, "code", None) or exc.default_code
        response.data = error_body(str(code), message)
    return response
