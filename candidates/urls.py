"""URLs of the candidates room: the branch staff's dossier pages."""

from django.urls import path

from . import views

app_name = "candidates"

urlpatterns = [
    path("", views.dossier_list, name="dossier_list"),
    path("<int:pk>/", views.dossier_detail, name="dossier_detail"),
]
