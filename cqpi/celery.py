"""The Celery application: configured from Django settings (CELERY_*), tasks found in each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqpi.settings.base")

app = Celery("cqpi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels from a web request into the tasks it enqueues (signals).
from cqpi import observability  # noqa: E402, F401
