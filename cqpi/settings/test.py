"""Test settings: PostgreSQL and Redis, never SQLite or fakes."""

import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cqpi")
os.environ.setdefault("CELERY_BROKER_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR
from .env import env_bool, env_str

DEBUG = False
# Tasks run in-process when their transaction commits; the tests that need a real
# worker start one against Redis themselves, with CELERY_EAGER=0 (and the test's
# TEST_MEDIA_ROOT) in its environment.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(env_str("TEST_MEDIA_ROOT") or VAR_DIR / "test-media")
ALLOWED_HOSTS = ["*"]
# The development seal's chain, made once per run of the tests (tests/conftest.py).
SEAL_DEV_DIR = Path(env_str("TEST_SEAL_DIR") or VAR_DIR / "test-seal")
CREDENTIALS_DEV_DIR = VAR_DIR / "test-credentials"
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_cqpi")}
# Serve static files from the finders, as in development: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
