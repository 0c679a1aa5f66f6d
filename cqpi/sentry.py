"""Optional error tracking: Sentry when SENTRY_DSN is set, with personal data scrubbed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Keys whose values name or reach a person, wherever they appear in an event.
PERSONAL_KEYS = re.compile(
    r"(e-?mail|first_?name|last_?name|full_?name|^name$|nom|prenom|prénom|birth|phone|"
    r"address|adresse|username|password|token|secret|cookie|authorization|session)",
    re.IGNORECASE,
)
FILTERED = "[filtered]"


def scrub(value: Any, key: str = "") -> Any:
    if key and PERSONAL_KEYS.search(key):
        return FILTERED
    if isinstance(value, str):
        return EMAIL.sub(FILTERED, value)
    if isinstance(value, Mapping):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    event = scrub(event)
    event.pop("user", None)
    return event


def init(dsn: str | None, *, environment: str | None = None, **options: Any) -> bool:
    """Start Sentry when a DSN is given; True when it did."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        before_send=before_send,  # type: ignore[arg-type]
        integrations=[DjangoIntegration(), CeleryIntegration()],
        **options,
    )
    return True
