from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class DeclarationsConfig(AppConfig):
    name = "declarations"
    verbose_name = _("Déclarations au Passeport de compétences")

    def ready(self) -> None:
        checks.register(schema_check)


def schema_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Without the Caisse's schema no declaration flux can be produced: say so at start."""
    from pathlib import Path

    from django.conf import settings

    path = settings.CDC_XSD_PATH
    if path and Path(path).is_file():
        return []
    return [
        checks.Warning(
            f"The CDC schema (cpf-accrochage-1.1.2.xsd) was not found (CDC_XSD_PATH={path!r}): "
            "no declaration flux can be produced.",
            hint="Set CDC_XSD_PATH to the copy the certifier received (docs/cdc.md).",
            id="declarations.W001",
        )
    ]
