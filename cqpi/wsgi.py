"""WSGI entry point (gunicorn cqpi.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqpi.settings.production")
application = get_wsgi_application()

# What start-up made (modules, settings, models, the URL resolver, built now for that) lives
# as long as the process: frozen out of the cyclic collector's generations, it is no longer
# walked by every full collection — about 200,000 objects, a pause of 100–300 ms every few
# hundred requests on the pages that allocate the most (docs/PERFORMANCE.md).
get_resolver().url_patterns  # noqa: B018
gc.freeze()
