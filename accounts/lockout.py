"""What django-axes counts failures by: the account (case-blind email) and the client's address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    source: Any = credentials if credentials else getattr(request, "POST", {})
    return str(source.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind TRUSTED_PROXY_COUNT proxies, the one the outermost appended.

    Never the leftmost X-Forwarded-For entry: the client writes that one itself.
    """
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
