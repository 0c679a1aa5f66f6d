"""URLs of the certifications room: verification, download, the staff's certificate and référentiel pages."""

from django.urls import path

from . import equivalence_views, referentiel_views, views

app_name = "certifications"

urlpatterns = [
    # Before verify/<code>/, which would take "document" for a code.
    path("verify/document/", views.verify_document, name="verify_document"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path(
        "certificats/<int:pk>/telecharger/",
        views.certificate_download,
        name="certificate_download",
    ),
]

# The branch staff's certificate pages.
urlpatterns += [
    path("certificats/", views.certificate_list, name="certificate_list"),
    path("certificats/<int:pk>/", views.certificate_detail, name="certificate_detail"),
    path("certificats/<int:pk>/revoquer/", views.certificate_revoke, name="certificate_revoke"),
    path("certificats/<int:pk>/reediter/", views.certificate_reissue, name="certificate_reissue"),
    path(
        "certificats/<int:pk>/regenerer/",
        views.certificate_retry_render,
        name="certificate_retry_render",
    ),
]

# Référentiels, browsed and adopted by the branch staff.
urlpatterns += [
    path("referentiels/", referentiel_views.referentiel_list, name="referentiel_list"),
    path(
        "referentiels/equivalences/",
        equivalence_views.equivalence_list,
        name="equivalence_list",
    ),
    path(
        "referentiels/equivalences/<int:pk>/approuver/",
        equivalence_views.equivalence_approve,
        name="equivalence_approve",
    ),
    path(
        "referentiels/equivalences/<int:pk>/remplacer/",
        equivalence_views.equivalence_supersede,
        name="equivalence_supersede",
    ),
    path("referentiels/<int:pk>/", referentiel_views.referentiel_detail, name="referentiel_detail"),
    path(
        "referentiels/<int:pk>/adopter/",
        referentiel_views.referentiel_adopt,
        name="referentiel_adopt",
    ),
]
