"""Top-level URLs: each room mounts its own; health, language switch and admin here."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import observability, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", observability.metrics, name="metrics"),
    path("comptes/", include("accounts.urls")),
    path("branches/", include("administration.urls")),
    path("dossiers/", include("candidates.urls")),
    path("espace/", include("candidates.space_urls")),
    path("evaluations/", include("evaluations.urls")),
    path("", include("historic.urls")),
    # Before certifications: its verify/<code>/ would take "credential" for a code.
    path("", include("credentials.urls")),
    path("", include("certifications.urls")),
    path("chiffres/", include("figures.urls")),
    path("declarations/", include("declarations.urls")),
    path("audit/", include("audit.urls")),
    path("rgpd/", include("privacy.urls")),
    path("api/v1/", include("cqpi.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.BENCHMARK_VIEWS:
    urlpatterns += [
        path("bench/baseline", views.bench_baseline, name="bench_baseline"),
        path("bench/floor", views.bench_floor, name="bench_floor"),
    ]

handler404 = "cqpi.errors.page_not_found"
handler500 = "cqpi.errors.server_error"
