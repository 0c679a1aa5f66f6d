"""Test settings: PostgreSQL and Redis, never SQLite or fakes."""

import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cqpi")
os.environ.setdefault("CELERY_BROKER_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))


def _own_resources_per_test_process() -> str:
    """`make test` runs the suite in two processes (pytest-xdist): each has its own test
    database (pytest-django's suffix), and here its own Redis database (cache, throttles and
    broker: gw0 keeps the given one, gw1 the one below), media folder and development keys.
    They are written back into the environment, so the servers and workers a test starts
    inherit them, and marked, so that a child reading these settings again keeps them."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or os.environ.get("CQPI_TEST_PROCESS") == worker:
        return os.environ.get("CQPI_TEST_PROCESS", "")
    number = int(worker.removeprefix("gw"))
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        head, _, db = url.rpartition("/")
        if url.startswith("redis://") and db.isdigit():
            os.environ[name] = f"{head}/{(int(db) - number) % 16}"
    if os.environ.get("TEST_MEDIA_ROOT"):
        os.environ["TEST_MEDIA_ROOT"] = f"{os.environ['TEST_MEDIA_ROOT']}-{worker}"
    os.environ["CQPI_TEST_PROCESS"] = worker
    return worker


_PROCESS = _own_resources_per_test_process()
_SUFFIX = f"-{_PROCESS}" if _PROCESS else ""

# The base settings read the environment as it is now, this process's resources included.
from .base import *  # noqa: E402, F403
from .base import DATABASES, VAR_DIR  # noqa: E402
from .env import env_bool, env_str  # noqa: E402

DEBUG = False
# Tasks run in-process when their transaction commits; the tests that need a real
# worker start one against Redis themselves, with CELERY_EAGER=0 (and the test's
# TEST_MEDIA_ROOT) in its environment.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(env_str("TEST_MEDIA_ROOT") or VAR_DIR / f"test-media{_SUFFIX}")
ALLOWED_HOSTS = ["*"]
# The development seal's chain, made once per run of the tests (tests/conftest.py).
SEAL_DEV_DIR = Path(env_str("TEST_SEAL_DIR") or VAR_DIR / f"test-seal{_SUFFIX}")
CREDENTIALS_DEV_DIR = VAR_DIR / f"test-credentials{_SUFFIX}"
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_cqpi")}
# Serve static files from the finders, as in development: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
