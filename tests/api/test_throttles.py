"""API throttles: fixed windows counted atomically in the shared cache."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache, caches
from django.test import RequestFactory

from core.api.throttles import UserThrottle, VerifyThrottle

LIST = "/api/v1/dossiers/"


def a_user_request(pk: int) -> Any:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=pk), META={})


def test_a_user_over_the_rate_is_refused_with_the_rest_of_the_window_to_wait(
    api_as: Any, cast: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(UserThrottle, "rate", "3/minute", raising=False)
    monkeypatch.setattr(UserThrottle, "timer", lambda self: 6_000_015.0)  # 15 s into a minute
    client = api_as(cast.staff_a)

    statuses = [client.get(LIST).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = client.get(LIST)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"


def test_each_user_has_their_own_count(api_as: Any, cast: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(UserThrottle, "rate", "2/minute", raising=False)
    first, second = api_as(cast.staff_a), api_as(cast.staff_b)

    assert [first.get(LIST).status_code for _ in range(3)] == [200, 200, 429]
    assert second.get(LIST).status_code == 200


def test_the_count_starts_again_in_the_next_window(monkeypatch: Any) -> None:
    now = [7_200.0]
    monkeypatch.setattr(UserThrottle, "rate", "2/hour", raising=False)
    monkeypatch.setattr(UserThrottle, "timer", lambda self: now[0])
    request = a_user_request(pk=990_001)

    def allowed() -> bool:
        return UserThrottle().allow_request(request, None)

    assert [allowed(), allowed(), allowed()] == [True, True, False]
    now[0] = 7_200.0 + 3_599
    assert allowed() is False
    now[0] = 7_200.0 + 3_600
    assert [allowed(), allowed(), allowed()] == [True, True, False]


def test_an_entry_evicted_between_creation_and_count_is_created_again(
    monkeypatch: Any, settings: Any
) -> None:
    """On a cache other than Redis (`make run`'s local memory), the count is an add then an
    incr, between which the entry can go. (On Redis both are one atomic script.)"""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    monkeypatch.setattr(UserThrottle, "rate", "2/hour", raising=False)
    request = a_user_request(pk=990_003)
    local = caches["default"]  # the backend itself: the proxy follows the settings' changes
    real_incr = local.incr
    evictions = [1]

    def incr_after_eviction(key: str, delta: int = 1) -> int:
        if evictions:
            evictions.pop()
            local.delete(key)
        return real_incr(key, delta)

    monkeypatch.setattr(local, "incr", incr_after_eviction)

    assert [UserThrottle().allow_request(request, None) for _ in range(3)] == [True, True, False]
    assert not evictions


def test_concurrent_requests_from_several_workers_are_all_counted(monkeypatch: Any) -> None:
    # Read-modify-write of a shared history loses updates under concurrency (more requests
    # pass than the rate allows); an atomic increment in Redis does not.
    monkeypatch.setattr(UserThrottle, "rate", "50/hour", raising=False)
    request = a_user_request(pk=990_002)
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def worker() -> None:
        start.wait()
        for _ in range(10):
            result = UserThrottle().allow_request(request, None)
            with lock:
                allowed.append(result)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == 100
    assert allowed.count(True) == 50


def test_verification_is_counted_per_address_signed_in_or_not(monkeypatch: Any) -> None:
    monkeypatch.setattr(VerifyThrottle, "rate", "2/minute", raising=False)

    def from_address(address: str, pk: int | None) -> Any:
        request = RequestFactory().get("/api/v1/verify/x/", REMOTE_ADDR=address)
        request.user = SimpleNamespace(is_authenticated=pk is not None, pk=pk)  # type: ignore[assignment]
        return request

    throttle = VerifyThrottle()
    assert throttle.allow_request(from_address("203.0.113.9", None), None)
    assert throttle.allow_request(from_address("203.0.113.9", 5), None)
    assert not VerifyThrottle().allow_request(from_address("203.0.113.9", 6), None)
    assert VerifyThrottle().allow_request(from_address("198.51.100.4", None), None)


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()
