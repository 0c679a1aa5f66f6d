"""URLs of the certifications room."""

from django.urls import path  # noqa: F401

app_name = "certifications"

urlpatterns: list = []
