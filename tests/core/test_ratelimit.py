"""Fixed-window counting shared by the API throttles, the reset limits and throttled pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from core.api.throttles import VerifyThrottle, throttled_page
from core.ratelimit import allow, parse_rate, window_hit


def test_rates_read_like_drf():
    assert parse_rate("3/hour") == (3, 3600)
    assert parse_rate("60/minute") == (60, 60)
    assert parse_rate("5/d") == (5, 86400)
    with pytest.raises(ImproperlyConfigured):
        parse_rate("three per hour")


def test_hits_count_within_a_window_and_start_again_in_the_next():
    assert [window_hit("k", seconds=60, now=120.0) for _ in range(3)] == [1, 2, 3]
    assert window_hit("k", seconds=60, now=179.9) == 4
    assert window_hit("k", seconds=60, now=180.0) == 1
    assert window_hit("other", seconds=60, now=120.0) == 1


def test_allow_refuses_past_the_rate():
    assert [allow("a", "2/hour") for _ in range(3)] == [True, True, False]


def test_a_throttled_page_answers_429_in_french_past_the_rate(monkeypatch: Any):
    monkeypatch.setattr(VerifyThrottle, "THROTTLE_RATES", {"verify": "2/minute"})
    page = throttled_page(VerifyThrottle)(lambda request: HttpResponse("ok"))
    factory = RequestFactory()
    answers = [page(factory.get("/verify/x/", REMOTE_ADDR="198.51.100.7")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Trop de demandes" in answers[2].content.decode()
    assert 0 < int(answers[2]["Retry-After"]) <= 60
    # Another address has its own count.
    assert page(factory.get("/verify/x/", REMOTE_ADDR="198.51.100.8")).status_code == 200


@pytest.fixture
def redis_cache() -> Any:
    """A real Redis cache (the tests' own database), as production counts in."""
    import os
    import uuid

    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        {"KEY_PREFIX": f"test-rate-{uuid.uuid4().hex}"},
    )
    yield cache
    cache.clear()


def test_on_redis_a_window_counts_up_and_expires_a_minute_after_it(redis_cache: Any):
    hits = [window_hit("r", seconds=60, now=120.0, cache=redis_cache) for _ in range(3)]
    assert hits == [1, 2, 3]
    assert window_hit("r", seconds=60, now=180.0, cache=redis_cache) == 1
    # The count reads back through the cache like any other entry, and has its lifetime.
    assert redis_cache.get("rate:r:2") == 3
    name = redis_cache.make_and_validate_key("rate:r:2")
    ttl = redis_cache._cache.get_client(name).ttl(name)
    assert 60 < ttl <= 120


@pytest.fixture
def redis_commands(monkeypatch: Any) -> list[str]:
    """The name of every command the Redis clients send."""
    import redis

    sent: list[str] = []
    real = redis.Redis.execute_command

    def recording(self: Any, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", recording)
    return sent


def test_on_redis_one_command_per_hit(redis_cache: Any, redis_commands: list[str]):
    assert window_hit("once", seconds=60, cache=redis_cache) == 1  # loads the script
    redis_commands.clear()
    assert window_hit("once", seconds=60, cache=redis_cache) == 2
    assert redis_commands == ["EVALSHA"]


def test_the_default_cache_counts_on_redis_too(settings: Any, redis_commands: list[str]):
    """DRF's throttles pass the `django.core.cache.cache` proxy: it is the Redis backend
    behind it that counts, in one command."""
    import os
    import uuid

    from django.core.cache import cache

    settings.CACHES = {
        **settings.CACHES,  # the layout's fragments stay
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
            "KEY_PREFIX": f"test-rate-{uuid.uuid4().hex}",
        },
    }
    try:
        assert [window_hit("proxy", seconds=60, cache=cache) for _ in range(2)] == [1, 2]
        redis_commands.clear()
        assert window_hit("proxy", seconds=60) == 3
        assert redis_commands == ["EVALSHA"]
    finally:
        cache.clear()


def test_on_redis_concurrent_hits_are_all_counted(redis_cache: Any):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=16) as pool:
        counts = list(
            pool.map(
                lambda _: window_hit("busy", seconds=3600, now=7200.0, cache=redis_cache),
                range(200),
            )
        )
    assert sorted(counts) == list(range(1, 201))
