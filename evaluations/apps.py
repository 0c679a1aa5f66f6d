from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Évaluations et jurys")

    def ready(self) -> None:
        from certifications.sealing import register_issued_document_finder

        from .minutes import find_minutes

        # "Vérifier un document" (certifications) recognises a procès-verbal by its bytes.
        register_issued_document_finder(find_minutes)
