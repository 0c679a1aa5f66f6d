"""URLs of the declarations room: the declaration of awards to the Caisse des Dépôts."""

from django.urls import path

from . import views

app_name = "declarations"

urlpatterns = [
    path("", views.index, name="index"),
    path("branches/<int:pk>/", views.branch, name="branch"),
    path("branches/<int:pk>/flux/", views.flux_create, name="flux_create"),
    path("flux/<int:pk>/", views.flux_detail, name="flux_detail"),
    path("flux/<int:pk>/accuse/", views.flux_acknowledge, name="flux_acknowledge"),
    path("flux/<int:pk>/fichier/", views.flux_download, name="flux_download"),
    path("corrections/<int:pk>/", views.correction_record, name="correction_record"),
]
