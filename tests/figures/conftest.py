"""Figures tests: each starts with an empty cache of its own, and may draw on the known data set."""

from __future__ import annotations

from typing import Any

import pytest

from tests.figures.dataset import Dataset, build_dataset


@pytest.fixture(autouse=True)
def figures_cache(settings: Any) -> None:
    # A private in-memory cache: figures cached by another test (or another helper's run
    # sharing a Redis) must never answer for this test's database.
    settings.CACHES = {
        **settings.CACHES,  # the layout's fragments stay
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "figures-tests",
        },
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def dataset(cast: Any) -> Dataset:
    return build_dataset(cast)
