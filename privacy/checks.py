"""System checks of the privacy room's settings: every retention period is at least one unit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

PERIODS = (
    "RETENTION_EVIDENCE_MONTHS",
    "RETENTION_CLOSED_DOSSIER_YEARS",
    "RETENTION_INACTIVE_ACCOUNT_YEARS",
    "RETENTION_AUDIT_DETAILS_YEARS",
)


@checks.register()
def retention_periods_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    # Zero would erase what was uploaded or decided a moment ago, while it is still needed.
    return [
        checks.Error(
            f"{name} must be 1 or more, not {getattr(settings, name)!r}.",
            hint="docs/rgpd.md gives each period's default and why.",
            id="privacy.E001",
        )
        for name in PERIODS
        if not isinstance(getattr(settings, name), int) or getattr(settings, name) < 1
    ]
