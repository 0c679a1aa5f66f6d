"""URLs of the certifications room: public verification and certificate download."""

from django.urls import path

from . import views

app_name = "certifications"

urlpatterns = [
    path("verify/<str:code>/", views.verify, name="verify"),
    path(
        "certificats/<int:pk>/telecharger/",
        views.certificate_download,
        name="certificate_download",
    ),
]
