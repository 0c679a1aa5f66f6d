"""URLs of the candidate's own space."""

from django.urls import path

from . import space_views

app_name = "space"

urlpatterns = [
    path("", space_views.home, name="home"),
    path("dossiers/<int:pk>/", space_views.dossier_detail, name="dossier_detail"),
    path(
        "dossiers/<int:pk>/attestation-numerique/",
        space_views.credential_download,
        name="credential_download",
    ),
    path("dossiers/<int:pk>/preuves/", space_views.evidence_dossier, name="evidence_dossier"),
    path(
        "dossiers/<int:pk>/preuves/enregistrer/",
        space_views.evidence_dossier_autosave,
        name="evidence_dossier_autosave",
    ),
    path(
        "dossiers/<int:pk>/preuves/transmettre/",
        space_views.evidence_dossier_submit,
        name="evidence_dossier_submit",
    ),
    path("acquis/", space_views.ledger, name="ledger"),
    path("mes-donnees/", space_views.personal_data, name="personal_data"),
    path(
        "mes-donnees/telecharger/",
        space_views.personal_data_download,
        name="personal_data_download",
    ),
]
