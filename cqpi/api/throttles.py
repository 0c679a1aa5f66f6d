"""Request rates: per user, per anonymous address, and a tighter one for public verification."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class UserThrottle(UserRateThrottle):
    scope = "user"


class AnonThrottle(AnonRateThrottle):
    scope = "anon"


class VerifyThrottle(SimpleRateThrottle):
    """Public verification codes are secrets: limit guessing per address, signed in or not."""

    scope = "verify"

    def get_cache_key(self, request, view):  # type: ignore[no-untyped-def]
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
