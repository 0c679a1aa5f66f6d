"""System checks of the accounts room's settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def two_factor_roles_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .services import TWO_FACTOR_ROLES

    unknown = sorted(set(settings.TWO_FACTOR_REQUIRED_ROLES) - TWO_FACTOR_ROLES)
    if not unknown:
        return []
    return [
        checks.Error(
            f"TWO_FACTOR_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}",
            hint=f"Use any of: {', '.join(sorted(TWO_FACTOR_ROLES))}.",
            id="accounts.E001",
        )
    ]
