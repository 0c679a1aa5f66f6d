"""The project package as an app, so that its management commands are found."""

from django.apps import AppConfig


class CqpiConfig(AppConfig):
    name = "cqpi"
    verbose_name = "CQPI"
