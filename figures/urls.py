"""URLs of the figures room."""

from django.urls import path  # noqa: F401

app_name = "figures"

urlpatterns: list = []
