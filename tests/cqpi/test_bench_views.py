"""The benchmarks' yardsticks (mounted only when BENCHMARK_VIEWS is on, as `make bench` does)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from cqpi import urls, views


def test_the_bench_views_are_not_mounted_in_normal_use() -> None:
    names = {getattr(pattern, "name", None) for pattern in urls.urlpatterns}
    assert not names & {"bench_baseline", "bench_floor"}


def test_the_floor_is_the_whole_layout_for_a_logged_in_person(cast: Any) -> None:
    request = RequestFactory().get("/bench/floor")
    request.user = cast.staff_a
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    response = views.bench_floor(request)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<nav" in page and "<h1>Accueil</h1>" in page


def test_the_floor_asks_an_anonymous_visitor_to_log_in(db: Any) -> None:
    request = RequestFactory().get("/bench/floor")
    request.user = AnonymousUser()
    response = views.bench_floor(request)
    assert response.status_code == 302 and "connexion" in response["Location"]
