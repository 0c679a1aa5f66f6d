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
