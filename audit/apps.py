"""The audit room's configuration: connects the authentication signals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Journal d'audit")

    def ready(self) -> None:
        from . import signals  # noqa: F401
