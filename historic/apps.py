"""Certificates and partial attestations issued before the platform: imported, verifiable, counted."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoricConfig(AppConfig):
    name = "historic"
    verbose_name = _("Certificats délivrés avant la plateforme")
