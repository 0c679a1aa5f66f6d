"""Settings shared by every environment, read from the environment with development defaults.

`make run` works with no variable set: SQLite and a filesystem broker under var/.
Production (cqpi.settings.production) requires the secrets and real servers.
"""

import datetime
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A key generated once into var/ so that sessions survive restarts of `make run`."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env_str("SECRET_KEY") or _development_secret_key()
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# `make bench` mounts a baseline view to measure pages against; never on otherwise.
BENCHMARK_VIEWS = env_bool("BENCHMARK_VIEWS", False)

# The public address of the site: it goes into certificates' QR codes and emails.
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "cqpi",
    "core",
    "accounts",
    "audit",
    "branches",
    "credentials",
    "certifications",
    "candidates",
    "evaluations",
    "historic",
    "figures",
    "administration",
    "privacy",
    "declarations",
    # Last: it builds on every domain app above, and none of them knows it.
    "sampledata",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id; every answer is timed.
    "core.observability.RequestIdMiddleware",
    "core.observability.RequestMetricsMiddleware",
    # Then: an oversized body is refused before anything reads it.
    "core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after authentication: services read who acts, and refusals below are recorded.
    "audit.middleware.AuditMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages (an expired session says so) and OTP (is_verified).
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cqpi.urls"
# Django's form templates, the commonest written in Python (same markup): core/form_renderer.py
FORM_RENDERER = "core.form_renderer.FastFormRenderer"
WSGI_APPLICATION = "cqpi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# Persistent connections: without them a request costs about 6x more here.
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 60)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'cqpi.sqlite3'}",
        conn_max_age=CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: the web server and the worker write to one file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account or address is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no object permissions for anonymous users
GUARDIAN_RAISE_403 = False
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout after repeated failures, per account and per address (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# One counter per account, whatever the case the email was typed in.
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
# Reverse proxies in front of the application (production sets it): see accounts.lockout.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Sessions (accounts.middleware): Django rotates the key at login; a session ends after
# SESSION_IDLE_TIMEOUT of inactivity for staff, jury, evaluators, référents and national roles,
# after SESSION_IDLE_TIMEOUT_CANDIDATE for candidates (who only read their own dossier, often
# on a phone between other tasks), and in any case SESSION_ABSOLUTE_LIFETIME after login.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_IDLE_TIMEOUT_CANDIDATE = env_int("SESSION_IDLE_MINUTES_CANDIDATE", 120) * 60
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
# Password reset links live a day; candidates' invitation links a week. Both die once used.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 24) * 3600
INVITATION_TIMEOUT = env_int("INVITATION_DAYS", 7) * 86400
# Links inviting the holder of a certificate issued before the platform to claim it (historic).
HISTORIC_CLAIM_TIMEOUT = env_int("HISTORIC_CLAIM_DAYS", 30) * 86400
# Reset links asked for one address, and from one client address, in a window (core.ratelimit).
PASSWORD_RESET_RATE_PER_ADDRESS = env_str("PASSWORD_RESET_RATE_PER_ADDRESS") or "3/hour"
PASSWORD_RESET_RATE_PER_CLIENT = env_str("PASSWORD_RESET_RATE_PER_CLIENT") or "20/hour"
# Two-factor authentication (django-otp, TOTP): the name authenticator apps show.
OTP_TOTP_ISSUER = "CQPI"
# Who must use a second factor whatever their branch says: any of national_admin, staff, jury
# (comma-separated). None in development and the demo (one demo account has a device, see
# the README); production requires it of national administrators and CPNE staff.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", [])

# --- Content Security Policy (django-csp): no inline script or style anywhere ----
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "fr"
# The apps whose rows hold names and free text people type: no save of theirs may carry a
# Unicode format character (core/text.py). The audit trail is not one: it records whatever
# was attempted.
PLAIN_TEXT_APPS = ["accounts", "branches", "certifications", "candidates", "evaluations"]
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
MEDIA_URL = "/media/"  # never served directly: files go through permission-checked views
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
# The media (evidence, certificates, procès-verbaux, signature images, import previews,
# CDC flux): on an S3-compatible object store when S3_BUCKET is set, so that every web
# and worker host sees the same files; under MEDIA_ROOT otherwise (`make run`, most tests).
# Every file is private: no public ACL, no public URL; downloads go through the views'
# permission checks and are streamed by the application (docs/decisions/0016).
S3_BUCKET = env_str("S3_BUCKET") or ""


def media_storage(bucket: str) -> dict[str, Any]:
    """The default storage: django-storages' S3 backend on `bucket`, else the filesystem."""
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Unset: AWS itself. MinIO, Scaleway, OVHcloud, Garage…: their https:// address.
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            # Unset: boto3's own chain (instance role, AWS_* variables, ~/.aws).
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            # Most non-AWS stores want path-style addresses (bucket in the path, not the host).
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            # A prefix inside the bucket, to share one bucket between installations.
            "location": env_str("S3_PREFIX") or "",
            # Private objects: the bucket's policy decides, never a public-read ACL.
            "default_acl": None,
            "querystring_auth": True,
            # As on the filesystem: saving under a taken name picks another, never overwrites.
            "file_overwrite": False,
            # Larger files are spooled to disk, not held in memory, while read.
            "max_memory_size": 5 * 1024 * 1024,
        },
    }


STORAGES = {
    "default": media_storage(S3_BUCKET),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
# What a candidate may attach to their dossier of evidence (VAE), all files together.
CANDIDATE_EVIDENCE_MAX_FILES = env_int("CANDIDATE_EVIDENCE_MAX_FILES", 20)
CANDIDATE_EVIDENCE_MAX_TOTAL_BYTES = env_int("CANDIDATE_EVIDENCE_MAX_TOTAL_BYTES", 50 * 1024 * 1024)
# The largest request body accepted at all (the largest upload, evidence or import, plus the
# form around it); set the proxy's limit (nginx client_max_body_size) to the same.
REQUEST_BODY_MAX_BYTES = env_int(
    "REQUEST_BODY_MAX_BYTES", max(EVIDENCE_MAX_BYTES, 10 * 1024 * 1024) + 1024 * 1024
)

# --- The electronic seal of issued documents (certifications/sealing.py) -----
# Certificates, attestations and procès-verbaux are sealed (PAdES) with the key and certificate
# of this PKCS#12 file; uploaded documents are checked against the root certificates (PEM,
# one or more) of SEAL_TRUST_ROOTS. Unset (development, tests), a self-signed chain is made
# once under SEAL_DEV_DIR: it proves nothing to anyone outside this machine (not qualified).
SEAL_PKCS12_PATH = env_str("SEAL_PKCS12_PATH") or ""
SEAL_PKCS12_PASSPHRASE = env_str("SEAL_PKCS12_PASSPHRASE") or ""
SEAL_TRUST_ROOTS = env_str("SEAL_TRUST_ROOTS") or ""
SEAL_DEV_DIR = VAR_DIR / "seal"

# --- Verifiable credentials (credentials/): the branches' Ed25519 issuer keys -----------
# Each branch's private keys are stored encrypted (AES-256-GCM) with this 32-byte secret,
# base64url-encoded (CREDENTIALS_KEY_SECRET, or a file named by CREDENTIALS_KEY_SECRET_FILE).
# Unset (development, tests), a secret is made once under CREDENTIALS_DEV_DIR.
CREDENTIALS_KEY_SECRET = env_str("CREDENTIALS_KEY_SECRET") or ""
CREDENTIALS_DEV_DIR = VAR_DIR / "credentials"
# The largest PDF the public "Vérifier un document" page accepts.
VERIFY_UPLOAD_MAX_BYTES = env_int("VERIFY_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)


# --- The declaration to the Caisse des Dépôts (declarations/, docs/cdc.md) --
# The XML Schema of the accrochage flux (cpf-accrochage 1.1.2) as the certifier received it;
# every flux is checked against it before it is offered. Not kept in the repository: by
# default the copy in shared/reference/cdc/ beside the checkout.
def _cdc_xsd_default() -> str:
    for path in (
        BASE_DIR.parent / "shared" / "reference" / "cdc" / "cpf-accrochage-1.1.2.xsd",
        Path("/work/shared/reference/cdc/cpf-accrochage-1.1.2.xsd"),
    ):
        if path.is_file():
            return str(path)
    return ""


CDC_XSD_PATH = env_str("CDC_XSD_PATH") or _cdc_xsd_default()

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "CQPI <no-reply@cqpi.localhost>"

# --- Celery ---------------------------------------------------------------
# Redis when CELERY_BROKER_URL (or REDIS_URL) is set; otherwise kombu's filesystem
# transport under var/, which needs no server and still runs a real worker process.
CELERY_BROKER_URL = (
    env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "filesystem://localhost//"
)
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport with atomic writes and single claims (cqpi/broker.py).
    CELERY_BROKER_TRANSPORT = "cqpi.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # kombu writes its broadcast (pidbox) exchanges here; the default is ./control
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The transport polls the folder; the default second makes a queue of renders crawl.
        "polling_interval": 0.2,
    }
else:
    # A task killed with its worker is redelivered after this delay; task time
    # limits stay well below it so a running task is never delivered twice.
    # Queues are read in the order of CELERY_TASK_QUEUES ("priority"), not in turn.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "queue_order_strategy": "priority",
    }
# Two queues, both consumed by every worker (none needs -Q): the documents (certificates,
# procès-verbaux) first, then the rest (emails, the sweep). When a jury session closes,
# its certificates are rendered before the emails queued beside them are sent: the last
# certificate is stored sooner and each "ready" email still follows its own certificate.
# A deployment that wants emails never to wait behind a batch of renders runs a second
# worker with `-Q celery`.
CELERY_TASK_QUEUES: dict[str, dict[str, str]] = {"documents": {}, "celery": {}}
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "certifications.tasks.render_certificate": {"queue": "documents"},
    "evaluations.tasks.render_minutes": {"queue": "documents"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-certificates": {
        "task": "certifications.tasks.sweep_pending_certificates",
        # Shortened by the fault-injection tests, which run beat for seconds, not minutes.
        "schedule": float(env_int("CERTIFICATE_SWEEP_SECONDS", 120)),
    },
    # Once a night, at a quiet hour: the retention policy (privacy.services.retention_apply).
    "apply-retention-policy": {
        "task": "privacy.tasks.apply_retention",
        "schedule": crontab(hour=env_int("RETENTION_HOUR", 3), minute=30),
    },
    # Every hour: the jury members' reminders 7 days and 1 day before their session, each sent
    # once (evaluations.services.jury_reminders_send records them on the seat).
    "send-jury-reminders": {
        "task": "evaluations.tasks.send_jury_reminders",
        "schedule": crontab(minute=5),
    },
    # Every hour: evaluation appointments' reminders to the candidate and the evaluators, 7 days
    # and 1 day before, each sent once (core.reminders records them).
    "send-appointment-reminders": {
        "task": "evaluations.tasks.send_appointment_reminders",
        "schedule": crontab(minute=10),
    },
    # Every morning: partial validations lapsing in 6, 3 or 1 month(s), their holder and the
    # branch's CPNE warned once each (certifications.services.expiry_alerts_send).
    # Every morning: the dossiers waiting on a branch's staff beyond its delay, and the dossiers
    # of evidence not submitted (candidates.services), each reminded once.
    "send-dossier-reminders": {
        "task": "candidates.tasks.send_dossier_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    "send-expiry-alerts": {
        "task": "certifications.tasks.send_expiry_alerts",
        "schedule": crontab(hour=7, minute=15),
    },
}

# --- Retention of personal data (docs/rgpd.md says why each default) -------------------------
# Evidence files, counted in months from the end of the dossier's path (decision, withdrawal).
RETENTION_EVIDENCE_MONTHS = env_int("RETENTION_EVIDENCE_MONTHS", 6)
# Refused, withdrawn and inadmissible dossiers: their candidate's identity and the notes.
RETENTION_CLOSED_DOSSIER_YEARS = env_int("RETENTION_CLOSED_DOSSIER_YEARS", 3)
# Accounts unused for this long that hold no role any more.
RETENTION_INACTIVE_ACCOUNT_YEARS = env_int("RETENTION_INACTIVE_ACCOUNT_YEARS", 3)
# The audit trail's addresses, browsers and personal details (the events themselves stay).
RETENTION_AUDIT_DETAILS_YEARS = env_int("RETENTION_AUDIT_DETAILS_YEARS", 1)
# A certificate still pending after this many seconds is enqueued again by the sweep.
CERTIFICATE_PENDING_GRACE_SECONDS = env_int("CERTIFICATE_PENDING_GRACE_SECONDS", 300)

# --- Cache ----------------------------------------------------------------
# API throttling counts requests here: Redis when REDIS_URL names one (shared by the
# web workers), otherwise each process's memory, which is enough for one process.
_CACHE_URL = env_str("CACHE_URL") or env_str("REDIS_URL") or ""
if _CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
        }
    }
    # Sessions are read from Redis on every request and written through to the database, so
    # a logged-in page costs one query fewer; ending a session goes through its SessionStore
    # (accounts.services), which deletes both. Only with a shared cache: a per-process one
    # would keep serving a session another process had ended.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Layout fragments that are a function of their key alone (the navigation for a set of roles,
# in a language: templates/base.html): each process keeps its own, never stale, never shared.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": None,
}

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an unauthenticated API call is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttles.UserThrottle",
        "core.api.throttles.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER") or "2000/hour",
        "anon": env_str("API_THROTTLE_ANON") or "100/hour",
        "verify": env_str("API_THROTTLE_VERIFY") or "60/minute",
    },
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "cqpi.api.schema.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Machine tokens (django-rest-knox): stored as a hash, shown once, revocable by their owner.
REST_KNOX = {
    "TOKEN_TTL": None
    if env_int("API_TOKEN_TTL_DAYS", 90) == 0
    else datetime.timedelta(days=env_int("API_TOKEN_TTL_DAYS", 90)),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CQPI API",
    "DESCRIPTION": (
        "Certification CQPI : dossiers, évaluations, jurys et certificats. "
        "Voir docs/api.md pour l'authentification, les erreurs et un parcours complet."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name get stable component names.
    "ENUM_NAME_OVERRIDES": {
        "DossierStatusEnum": "candidates.models.DossierStatus",
        "AccessRouteEnum": "candidates.models.AccessRoute",
        "ReferentielStatusEnum": "certifications.models.ReferentielStatus",
        "VersionStatusEnum": "certifications.models.VersionStatus",
        "CertificateStatusEnum": "certifications.models.CertificateStatus",
        "CertificateKindEnum": "certifications.models.CertificateKind",
        "RenderStatusEnum": "certifications.models.RenderStatus",
        "EvaluationKindEnum": "evaluations.models.EvaluationKind",
        "EvaluationStatusEnum": "evaluations.models.EvaluationStatus",
        "SheetStatusEnum": "evaluations.models.SheetStatus",
        "SheetRoleEnum": "evaluations.models.SheetRole",
        "SessionStatusEnum": "evaluations.models.SessionStatus",
        "ConvocationAnswerEnum": "evaluations.models.ConvocationAnswer",
        "MemberRoleEnum": "evaluations.models.MemberRole",
        "CapacityOutcomeEnum": "evaluations.models.CapacityOutcome",
        "OutcomeEnum": "evaluations.models.Outcome",
        "DecisionStatusEnum": "evaluations.models.DecisionStatus",
        "CollegeEnum": "branches.models.College",
        "QuorumRuleEnum": "branches.models.QuorumRule",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.jsonlog.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # LOG_FORMAT=json (the default in production): one JSON object per line.
            "formatter": env_str("LOG_FORMAT") or "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # Every login would otherwise log three lines; lockouts still log as warnings.
        "axes": {"level": "WARNING"},
    },
}

# --- Operations (README "Operating it") ---------------------------------------------
# /metrics answers only with this bearer token; unset, the endpoint does not exist.
METRICS_TOKEN = env_str("METRICS_TOKEN") or ""
# Sentry only when a DSN is given; personal data scrubbed (cqpi/sentry.py).
SENTRY_DSN = env_str("SENTRY_DSN") or ""
if SENTRY_DSN:
    from cqpi import sentry

    sentry.init(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT"))
