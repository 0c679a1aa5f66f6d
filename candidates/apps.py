from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = _("Candidats et dossiers")

    def ready(self) -> None:
        from audit.labels import register_state_labels

        from .models import DossierStatus

        register_state_labels(DossierStatus.choices)
