"""National figures for the COC: awards, access routes, rates and delays, computed in the database."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FiguresConfig(AppConfig):
    name = "figures"
    verbose_name = _("Chiffres nationaux")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from certifications.models import Certificate
        from evaluations.models import Decision
        from historic.models import historic_imported

        from .signals import certificate_saved, decision_saved
        from .signals import historic_imported as historic_imported_receiver

        post_save.connect(decision_saved, sender=Decision, dispatch_uid="figures.decision_saved")
        post_save.connect(
            certificate_saved, sender=Certificate, dispatch_uid="figures.certificate_saved"
        )
        historic_imported.connect(
            historic_imported_receiver, dispatch_uid="figures.historic_imported"
        )
