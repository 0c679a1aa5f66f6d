"""The shared records of the kit: the API's idempotency keys, the reminders already sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an `Idempotency-Key`: a retry gets it back
    instead of acting twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("clé d'idempotence"), max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("clé d'idempotence")
        verbose_name_plural = _("clés d'idempotence")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_record_per_user_and_key")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class SentReminder(models.Model):
    """A reminder that went out, under a key naming what, to whom and which one (e.g.
    `appointment:12:candidate:7`): a beat task claims the key before enqueuing the email, so a
    reminder is sent once, whichever run or worker gets there first (core.reminders)."""

    key = models.CharField(_("rappel"), max_length=200, unique=True)
    sent_at = models.DateTimeField(_("envoyé le"))

    class Meta:
        verbose_name = _("rappel envoyé")
        verbose_name_plural = _("rappels envoyés")

    def __str__(self) -> str:
        return self.key
