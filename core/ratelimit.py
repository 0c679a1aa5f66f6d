"""Counting requests in fixed windows with one atomic cache increment: the API's throttles,
the password-reset limits and the public verification page all count this way.

A fixed window (the hour from :00, say) lets a client send up to twice the rate across the
turn of a window, never more within one; the count is shared by every web process through
the cache (Redis in production), and one increment per request cannot lose a count the way
a read-modify-write of a list of timestamps does.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"3/hour"` → (3, 3600); the period is read from its first letter, as DRF does."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[0]]
    except (ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(f"Invalid rate {rate!r}: expected e.g. '3/hour'.") from exc


def window_hit(key: str, *, seconds: int, cache: Any = None, now: float | None = None) -> int:
    """Count one hit for `key` in the current window of `seconds`; the window's count so far.

    The entry is created at zero if absent, then incremented; it outlives its window by a
    minute, so a late hit never recreates it. On Redis both happen in one round trip (a
    MULTI/EXEC of SET NX and INCR): Django's `add` then `incr` took three (`incr` asks EXISTS
    first), which the public verification page paid on every request."""
    cache = cache if cache is not None else default_cache
    window = int((time.time() if now is None else now) // seconds)
    entry = f"rate:{key}:{window}"
    if isinstance(cache, RedisCache):
        name = cache.make_and_validate_key(entry)
        # The backend's own client (Django has no public accessor): the key and the integer
        # stored read back through `cache.get` as any other entry.
        client = cache._cache.get_client(name, write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=True)
        pipe.set(name, 0, ex=seconds + 60, nx=True)
        pipe.incr(name)
        return int(pipe.execute()[1])
    for _attempt in range(2):
        cache.add(entry, 0, timeout=seconds + 60)
        try:
            return int(cache.incr(entry))
        except ValueError:  # evicted between add and incr: create it again
            continue
    return 1  # the cache keeps losing it: count this hit alone rather than fail


def allow(key: str, rate: str, *, cache: Any = None) -> bool:
    """Count one hit; whether it is still within `rate` for this window."""
    limit, seconds = parse_rate(rate)
    return window_hit(key, seconds=seconds, cache=cache) <= limit
