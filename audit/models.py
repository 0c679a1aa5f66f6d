"""The audit trail's one table: an append-only record of who did what, when, and from where."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import roles_of
from branches.models import Branch
from core.undeletable import UndeletableModel, UndeletableQuerySet


class AuditEventQuerySet(UndeletableQuerySet):
    def visible_to(self, user: Any) -> AuditEventQuerySet:
        """National administrators read the whole trail; CPNE staff their branches' events."""
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.staff_branch_ids:
            return self.none()
        return self.filter(branch_id__in=roles.staff_branch_ids)


class AuditEvent(UndeletableModel):
    """One recorded event. Never changed nor deleted; holds no password and no needless personal data."""

    at = models.DateTimeField(_("date"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    # Kept when the account goes: the trail must still say who it was.
    actor_label = models.CharField(_("auteur (libellé)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=64)
    branch = models.ForeignKey(
        Branch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branche"),
    )
    object_type = models.CharField(_("type d'objet"), max_length=64, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    object_label = models.CharField(_("objet"), max_length=200, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=255, blank=True)
    method = models.CharField(_("méthode"), max_length=10, blank=True)
    path = models.CharField(_("adresse"), max_length=255, blank=True)
    # When the retention policy stripped the event's personal details (privacy room): the
    # one change an event ever undergoes, made by `audit_redact_details`, never by save().
    redacted_at = models.DateTimeField(_("détails effacés le"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["-at", "-id"]),
            models.Index(fields=["branch", "-at"]),
            models.Index(fields=["action", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Audit events are written once and never changed.")
        super().save(*args, **kwargs)
