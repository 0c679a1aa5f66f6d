"""WSGI entry point (gunicorn cqpi.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqpi.settings.production")
application = get_wsgi_application()
