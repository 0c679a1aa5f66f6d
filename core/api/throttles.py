"""Request rates: per user, per anonymous address, and a tighter one for public verification.

DRF's throttles keep every request's time in one cache entry, read and written back whole
on each request: with several web workers, two requests read the same list and one of the
writes is lost (more requests pass than the rate allows), and a user near the 2000 an hour
moves 2000 timestamps to and from Redis on each call. These count in fixed windows instead
(core.ratelimit), with one atomic increment per request — as GitHub's API limits do.
`throttled_page` puts a portal page under the same count as its API twin.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.ratelimit import window_hit


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
        self.window_end = (int(self.now // self.duration) + 1) * self.duration
        count = window_hit(ident, seconds=self.duration, cache=self.cache, now=self.now)
        return bool(count <= self.num_requests)

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


def throttled_page(throttle_class: type[SimpleRateThrottle]) -> Callable[[Any], Any]:
    """Count a portal view's requests with an API throttle (the same counter as its API
    twin): past the rate, a French 429 page with Retry-After."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            throttle = throttle_class()
            if throttle.allow_request(request, None):  # type: ignore[arg-type]
                return view(request, *args, **kwargs)
            wait = math.ceil(throttle.wait() or 0)
            response = HttpResponse(
                render_to_string("429.html", {"wait": wait}, request=None), status=429
            )
            response["Retry-After"] = str(wait)
            return response

        return wrapped

    return decorator
