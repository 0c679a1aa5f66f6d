"""The WSGI entry point: the application, its start-up objects frozen out of the collector."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc
from cqpi.wsgi import application
print(gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_start_up_objects_are_frozen_out_of_the_collector() -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ["DJANGO_SETTINGS_MODULE"])
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    frozen, tracked = probe.stdout.split()
    assert int(frozen) > 50_000  # modules, models, settings, the views the URLs import
    assert int(tracked) < int(frozen) // 10  # what a full collection still walks
