"""Production settings: secrets and servers come from the environment, HTTPS everywhere."""

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_required, env_str

DEBUG = False
SECRET_KEY = env_required("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production.")

# The public address printed in every certificate's QR code and in every email: a forgotten
# one would send holders and verifiers to localhost, so production does not start without it.
SITE_URL = env_required("SITE_URL").rstrip("/")
if not SITE_URL.startswith("https://"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SITE_URL must be the public https:// address of the site.")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", ["national_admin", "staff"])
# Behind the reverse proxy (see SECURE_PROXY_SSL_HEADER) the client's address is the one the
# proxy appended; counting the proxy's own address would lock everyone out at once.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

STORAGES = {
    "default": STORAGES["default"],  # noqa: F405 - S3 when S3_BUCKET is set (base.py)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Issued documents are sealed with the deployment's own key (README, "Le cachet électronique");
# the development chain under var/ is never used in production.
SEAL_PKCS12_PATH = env_required("SEAL_PKCS12_PATH")
SEAL_TRUST_ROOTS = env_required("SEAL_TRUST_ROOTS")
# The secret that encrypts the branches' credential-signing keys (docs/credentials.md); the
# development secret under var/ is never used in production.
CREDENTIALS_KEY_SECRET = env_required("CREDENTIALS_KEY_SECRET")

# Production runs on PostgreSQL and Redis: refuse to start on the embedded defaults.
env_required("DATABASE_URL")
if CELERY_BROKER_URL.startswith("filesystem"):  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CELERY_BROKER_URL (or REDIS_URL) is required in production.")
if CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    # Sessions, the figures and their invalidation, and the API throttles are shared by every
    # web and worker process; a per-process cache would serve ended sessions and stale figures.
    raise ImproperlyConfigured("CACHE_URL (or REDIS_URL) naming Redis is required in production.")

# One JSON object per log line unless LOG_FORMAT says otherwise (plain).
LOGGING["handlers"]["console"]["formatter"] = env_str("LOG_FORMAT") or "json"  # type: ignore[index]  # noqa: F405
