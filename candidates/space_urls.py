"""URLs of the candidate's own space."""

from django.urls import path

from . import space_views

app_name = "space"

urlpatterns = [
    path("", space_views.home, name="home"),
    path("dossiers/<int:pk>/", space_views.dossier_detail, name="dossier_detail"),
]
