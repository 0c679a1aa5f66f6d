"""The current request's who and from where, for services that record events without a request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from django.conf import settings

USER_AGENT_MAX = 255


@dataclass(frozen=True)
class RequestContext:
    user: Any
    ip_address: str | None
    user_agent: str
    method: str
    path: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "cqpi_audit_request", default=None
)


def client_ip(request: Any) -> str | None:
    """REMOTE_ADDR, or the first X-Forwarded-For address when a trusted proxy sets it."""
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:45]
    return request.META.get("REMOTE_ADDR") or None


def context_of(request: Any) -> RequestContext:
    # A DRF Request authenticates lazily when `.user` is read: reading it from inside an
    # authentication signal would authenticate again, and again. Its underlying
    # HttpRequest holds the user already known (DRF copies it there once resolved).
    request = getattr(request, "_request", request)
    return RequestContext(
        user=getattr(request, "user", None),
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
        method=request.method or "",
        path=request.path[:255],
    )


def current() -> RequestContext | None:
    return _current.get()


def enter(context: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def leave(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
