"""The accounts tests: limits kept in the cache start from nothing in each test."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    cache.clear()
