"""cqpi: settings, URLs, the Celery app and cross-cutting glue."""

from .celery import app as celery_app

__all__ = ["celery_app"]
