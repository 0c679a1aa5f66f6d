"""URLs of the candidates room: the branch staff's dossier pages."""

from django.urls import path

from . import views

app_name = "candidates"

urlpatterns = [
    path("", views.dossier_list, name="dossier_list"),
    path("nouveau/", views.dossier_open, name="dossier_open"),
    path("<int:pk>/", views.dossier_detail, name="dossier_detail"),
    path("<int:pk>/recevabilite/", views.dossier_admissibility, name="dossier_admissibility"),
    path(
        "<int:pk>/positionnement/",
        views.dossier_start_positioning,
        name="dossier_start_positioning",
    ),
    path("<int:pk>/evaluation/", views.dossier_start_evaluation, name="dossier_start_evaluation"),
    path("<int:pk>/abandon/", views.dossier_withdraw, name="dossier_withdraw"),
]
