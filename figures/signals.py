"""Cached figures go stale when a jury decision is recorded or superseded, or a certificate
changes status (a revoked one no longer counts as an award)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .selectors import figures_invalidate


def decision_saved(sender: Any, **kwargs: Any) -> None:
    # Now, so this transaction's own reads miss the cache; and again on commit, so figures
    # computed by another request between the two (without this decision) are dropped too.
    figures_invalidate()
    transaction.on_commit(figures_invalidate)


def certificate_saved(sender: Any, created: bool = False, **kwargs: Any) -> None:
    # An issue comes with its decision (already counted); renders change no figure.
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and "status" not in update_fields):
        return
    decision_saved(sender, **kwargs)


def historic_imported(sender: Any, **kwargs: Any) -> None:
    # Sent on commit of an import of certificates issued before the platform.
    figures_invalidate()
