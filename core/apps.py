"""The bottom room: the kit every app shares, importing none of them."""

from django.apps import AppConfig, apps
from django.conf import settings
from django.db.models.signals import pre_save


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Socle commun"

    def ready(self) -> None:
        from .text import refuse_format_characters

        # The rooms are named by the settings, not imported: core knows none of them.
        for model in apps.get_models():
            if model._meta.app_label in settings.PLAIN_TEXT_APPS:
                pre_save.connect(
                    refuse_format_characters,
                    sender=model,
                    dispatch_uid=f"plain-text:{model._meta.label}",
                )
