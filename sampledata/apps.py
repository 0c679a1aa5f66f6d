"""Sample data: the demo and the national load generator, built on top of every other room."""

from django.apps import AppConfig


class SampleDataConfig(AppConfig):
    name = "sampledata"
    verbose_name = "Données d'exemple"
