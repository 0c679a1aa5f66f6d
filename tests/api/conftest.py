"""API test helpers: clients authenticated with a real knox token, and a clean throttle cache."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient


def token_client(user: Any, **headers: str) -> APIClient:
    _instance, token = AuthToken.objects.create(user)
    client = APIClient(headers={"Authorization": f"Token {token}", **headers})
    return client


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_as(cast: Any) -> Callable[..., APIClient]:
    def make(user: Any, **headers: str) -> APIClient:
        return token_client(user, **headers)

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
