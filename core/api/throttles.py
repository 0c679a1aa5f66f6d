"""Request rates: per user, per anonymous address, and a tighter one for public verification.

DRF's throttles keep every request's time in one cache entry, read and written back whole
on each request: with several web workers, two requests read the same list and one of the
writes is lost (more requests pass than the rate allows), and a user near the 2000 an hour
moves 2000 timestamps to and from Redis on each call. These count in fixed windows instead
(the hour from :00, say), with one atomic increment per request — as GitHub's API limits
do. A client can send up to twice the rate across the turn of a window; no more within one.
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class FixedWindowMixin:
    """`allow_request` and `wait` of a SimpleRateThrottle, counted with `cache.incr`."""

    cache: Any
    duration: int
    num_requests: int
    rate: str | None
    timer: Any

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if ident is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{ident}:{window}"
        return bool(self._count(key) <= self.num_requests)

    def _count(self, key: str) -> int:
        """Count this request in the window's entry: created at zero if absent (`add` is
        atomic), then incremented; it outlives its window by a minute, so a late request
        never recreates it."""
        for _attempt in range(2):
            self.cache.add(key, 0, timeout=self.duration + 60)
            try:
                return int(self.cache.incr(key))
            except ValueError:  # evicted between add and incr: create it again
                continue
        return 1  # the cache keeps losing it: count this request alone rather than fail

    def wait(self) -> float:
        """Seconds until the window ends, for the Retry-After header."""
        return max(0.0, self.window_end - self.now)


class UserThrottle(FixedWindowMixin, UserRateThrottle):
    scope = "user"


class AnonThrottle(FixedWindowMixin, AnonRateThrottle):
    scope = "anon"


class VerifyThrottle(FixedWindowMixin, SimpleRateThrottle):
    """Public verification codes are secrets: limit guessing per address, signed in or not."""

    scope = "verify"

    def get_cache_key(self, request, view):  # type: ignore[no-untyped-def]
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
