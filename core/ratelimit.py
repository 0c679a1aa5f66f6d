"""Counting requests in fixed windows with one atomic cache increment: the API's throttles,
the password-reset limits and the public verification page all count this way.

A fixed window (the hour from :00, say) lets a client send up to twice the rate across the
turn of a window, never more within one; the count is shared by every web process through
the cache (Redis in production), and one increment per request cannot lose a count the way
a read-modify-write of a list of timestamps does.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
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


# Create the entry at zero if absent, with its lifetime, then count the hit: one command.
_HIT = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""
# The hit script bound to each Redis cache's write client, made once per cache object
# (Django's get_client builds a new client, with its 169 response callbacks, on every call).
_scripts: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def window_hit(key: str, *, seconds: int, cache: Any = None, now: float | None = None) -> int:
    """Count one hit for `key` in the current window of `seconds`; the window's count so far.

    The entry is created at zero if absent, then incremented; it outlives its window by a
    minute, so a late hit never recreates it. On Redis that is one atomic script call
    (EVALSHA); Django's `add` then `incr` sent three commands, `incr` asking EXISTS first,
    and the public verification page pays this on every request."""
    if cache is None or cache is default_cache:
        cache = caches[DEFAULT_CACHE_ALIAS]  # the backend itself, not the proxy to it
    window = int((time.time() if now is None else now) // seconds)
    entry = f"rate:{key}:{window}"
    if isinstance(cache, RedisCache):
        return _redis_hit(cache, entry, lifetime=seconds + 60)
    for _attempt in range(2):
        cache.add(entry, 0, timeout=seconds + 60)
        try:
            return int(cache.incr(entry))
        except ValueError:  # evicted between add and incr: create it again
            continue
    return 1  # the cache keeps losing it: count this hit alone rather than fail


def _redis_hit(cache: RedisCache, entry: str, *, lifetime: int) -> int:
    # The key as the cache names it, so that the count reads back through `cache.get`.
    name = cache.make_and_validate_key(entry)
    backend = cache._cache  # type: ignore[attr-defined]  # Django has no public accessor
    script = _scripts.get(backend)
    if script is None:
        script = _scripts[backend] = backend.get_client(name, write=True).register_script(_HIT)
    return int(script(keys=[name], args=[lifetime]))


def allow(key: str, rate: str, *, cache: Any = None) -> bool:
    """Count one hit; whether it is still within `rate` for this window."""
    limit, seconds = parse_rate(rate)
    return window_hit(key, seconds=seconds, cache=cache) <= limit
