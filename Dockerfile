# The cqpi image: the web server (gunicorn), the Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cqpi.settings.production \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

# WeasyPrint's native libraries (Pango, HarfBuzz subsetting), a font for certificates,
# gettext to compile the French messages at build time, and the PostgreSQL client
# (pg_dump, pg_restore, psql; bookworm's 15, as the server) for `manage.py backup`/`restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 shared-mime-info \
        fonts-dejavu-core gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/app --uid 10001 app \
    && mkdir -p /app/var /data/media \
    && chown app:app /app/var /data/media
WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY . .
# Compiled messages and collected static files belong to the image. collectstatic
# reads production settings, which insist on these variables: build-time placeholders.
RUN if [ -n "$(find . -name '*.po' -print -quit)" ]; then python manage.py compilemessages -v 0; fi \
    && SECRET_KEY=build-time-placeholder-not-used-at-run-time ALLOWED_HOSTS=localhost \
       DATABASE_URL=postgres://unused/unused CELERY_BROKER_URL=redis://unused:6379/0 \
       SEAL_PKCS12_PATH=/unused SEAL_TRUST_ROOTS=/unused SITE_URL=https://unused.invalid \
       CREDENTIALS_KEY_SECRET=build-time-placeholder-not-used \
       python manage.py collectstatic --no-input -v 0 \
    && rm -rf /app/var/* && chown -R app:app /app/var

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn cqpi.wsgi --workers 2 --bind 0.0.0.0:8000 --access-logfile -"]
