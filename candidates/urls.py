"""URLs of the candidates room: the branch staff's dossier pages."""

from django.urls import path

from . import choice_views, evidence_views, views

app_name = "candidates"

urlpatterns = [
    path("", views.dossier_list, name="dossier_list"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("export/", views.dossier_export, name="dossier_export"),
    path("certificats/export/", views.certificate_export, name="certificate_export"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/modele/", views.import_template, name="import_template"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("import/<str:token>/confirmer/", views.import_confirm, name="import_confirm"),
    path("nouveau/", views.dossier_open, name="dossier_open"),
    path("nouveau/candidats/", choice_views.candidate_choices, name="candidate_choices"),
    path("nouveau/entreprises/", choice_views.company_choices, name="company_choices"),
    path("<int:pk>/", views.dossier_detail, name="dossier_detail"),
    path("<int:pk>/recevabilite/", views.dossier_admissibility, name="dossier_admissibility"),
    path(
        "<int:pk>/positionnement/",
        views.dossier_start_positioning,
        name="dossier_start_positioning",
    ),
    path("<int:pk>/evaluation/", views.dossier_start_evaluation, name="dossier_start_evaluation"),
    path("<int:pk>/abandon/", views.dossier_withdraw, name="dossier_withdraw"),
    path("<int:pk>/credits/", views.dossier_credit, name="dossier_credit"),
    path(
        "<int:pk>/preuves/renvoyer/",
        views.evidence_dossier_return,
        name="evidence_dossier_return",
    ),
    path("personnes/fusionner/", views.person_merge, name="person_merge"),
    path("candidats/<int:candidate_pk>/inviter/", views.candidate_invite, name="candidate_invite"),
    path(
        "candidats/<int:candidate_pk>/acquis/",
        views.candidate_ledger,
        name="candidate_ledger",
    ),
    path(
        "candidats/<int:candidate_pk>/identite/",
        views.candidate_identity,
        name="candidate_identity",
    ),
]

# Evidence files: added to a dossier, downloaded through a checked view only.
urlpatterns += [
    path("<int:pk>/pieces/", evidence_views.evidence_upload, name="evidence_upload"),
    path(
        "pieces/<int:pk>/telecharger/",
        evidence_views.evidence_download,
        name="evidence_download",
    ),
]
