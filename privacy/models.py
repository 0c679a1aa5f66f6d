"""Erasure requests and the record of which candidates were anonymised."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.access import roles_of
from branches.models import Branch
from candidates.models import Candidate


class ErasureStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    DONE = "done", _("Effacement réalisé")
    # Carried out for everything but what the law makes the branch keep (issued certificates).
    PARTIAL = "partial", _("Effacement réalisé, sauf ce qui doit être conservé")
    REFUSED = "refused", _("Refusée")


class ErasureRequestQuerySet(models.QuerySet["ErasureRequest"]):
    def visible_to(self, user: Any) -> ErasureRequestQuerySet:
        """Staff of the candidate's branch and national administrators; the candidate their own."""
        roles = roles_of(user)
        if roles.is_national_admin:
            return self
        if not roles.is_authenticated:
            return self.none()
        return self.filter(
            Q(branch_id__in=roles.staff_branch_ids) | Q(requested_by_id=roles.user_id)
        )


class ErasureRequest(models.Model):
    """A candidate's request to have their personal data erased (RGPD art. 17), and its answer."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="+", verbose_name=_("candidat")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branche")
    )
    # Null once the account itself is anonymised and gone from the request's view.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demandée par"),
    )
    requested_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    message = models.TextField(_("message du candidat"), blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=ErasureStatus.choices, default=ErasureStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("traitée par"),
    )
    decided_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    # Why the request is refused, or why part of the data is kept.
    answer = models.TextField(_("réponse"), blank=True)
    # What the anonymisation did (counts only).
    outcome = models.JSONField(_("résultat"), default=dict, blank=True)

    objects = ErasureRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande d'effacement")
        verbose_name_plural = _("demandes d'effacement")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate"],
                condition=Q(status="pending"),
                name="one_pending_erasure_per_candidate",
            )
        ]
        indexes = [models.Index(fields=["branch", "status", "-requested_at"])]

    def __str__(self) -> str:
        return f"#{self.pk}"


class AnonymisedCandidate(models.Model):
    """A candidate whose personal fields were replaced: what makes the anonymisation run once."""

    candidate = models.OneToOneField(
        Candidate, on_delete=models.PROTECT, primary_key=True, related_name="anonymisation"
    )
    at = models.DateTimeField(_("anonymisé le"), default=timezone.now)
    # "retention" (the policy's task) or "erasure" (a request approved by staff).
    reason = models.CharField(_("motif"), max_length=20)

    class Meta:
        verbose_name = _("candidat anonymisé")
        verbose_name_plural = _("candidats anonymisés")

    def __str__(self) -> str:
        return f"#{self.candidate_id}"
