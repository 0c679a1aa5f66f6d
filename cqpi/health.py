"""Health of what the application depends on: the database and the Celery broker."""

from typing import Any

from django.conf import settings
from django.db import connection
from kombu import Connection

# A load balancer or orchestrator polls this: a dead dependency must be reported in
# about a second, not after kombu's default retry schedule.
BROKER_TIMEOUT_SECONDS = 1


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def check_broker() -> str:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport=getattr(settings, "CELERY_BROKER_TRANSPORT", None),
            transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
            connect_timeout=BROKER_TIMEOUT_SECONDS,
        ) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
            )
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def check_all() -> dict[str, Any]:
    checks = {"database": check_database(), "broker": check_broker()}
    status = "ok" if all(value == "ok" for value in checks.values()) else "error"
    return {"status": status, "checks": checks}
