"""URLs of the candidates room."""

from django.urls import path  # noqa: F401

app_name = "candidates"

urlpatterns: list = []
