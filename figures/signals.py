"""Cached figures go stale when a jury decision is recorded or superseded."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .selectors import figures_invalidate


def decision_saved(sender: Any, **kwargs: Any) -> None:
    # Now, so this transaction's own reads miss the cache; and again on commit, so figures
    # computed by another request between the two (without this decision) are dropped too.
    figures_invalidate()
    transaction.on_commit(figures_invalidate)
