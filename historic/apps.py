"""Certificates and partial attestations issued before the platform: imported, verifiable, counted."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoricConfig(AppConfig):
    name = "historic"
    verbose_name = _("Certificats délivrés avant la plateforme")

    def ready(self) -> None:
        from core.ledger import ledger_source_register

        from .ledger import historic_ledger_entries

        # The person's ledger (candidates.ledger) reads the records from here: see core.ledger.
        ledger_source_register("historic", historic_ledger_entries)
