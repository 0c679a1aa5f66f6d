"""Isolation for the project-level tests: no language leaks out of a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    # LocaleMiddleware activates the request's language in the test's thread and leaves
    # it there: after a request in English, later tests' messages would be in English.
    yield
    translation.deactivate()
