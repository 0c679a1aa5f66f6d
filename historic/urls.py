"""URLs of the historic room: the staff's pages, and the public lookup beside /verify/."""

from django.urls import path

from . import views

app_name = "historic"

urlpatterns = [
    # Mounted before the certifications room: "verify/<code>/" would take this for a code.
    path("verify/avant-plateforme/", views.verify_lookup, name="verify_lookup"),
    path("certificats-anterieurs/", views.historic_list, name="historic_list"),
    path("certificats-anterieurs/<int:pk>/", views.historic_detail, name="historic_detail"),
    path(
        "certificats-anterieurs/<int:pk>/inviter/",
        views.claim_invite,
        name="claim_invite",
    ),
    path("certificats-anterieurs/revendiquer/<str:token>/", views.claim, name="claim"),
    path("certificats-anterieurs/import/", views.import_upload, name="import_upload"),
    path("certificats-anterieurs/import/modele/", views.import_template, name="import_template"),
    path(
        "certificats-anterieurs/import/<str:token>/",
        views.import_preview,
        name="import_preview",
    ),
    path(
        "certificats-anterieurs/import/<str:token>/confirmer/",
        views.import_confirm,
        name="import_confirm",
    ),
]
