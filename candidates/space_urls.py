"""URLs of the candidate's own space."""

from django.urls import path  # noqa: F401

app_name = "space"

urlpatterns: list = []
