"""The branches' issuer keys and revocation status lists of their verifiable credentials."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from core.undeletable import UndeletableModel, UndeletableQuerySet

# Bits per status list: 16 KiB, the minimum the Bitstring Status List spec asks for, so that
# a list does not tell how many credentials its issuer has revoked.
STATUS_LIST_BITS = 131_072


class IssuerKeyQuerySet(UndeletableQuerySet):
    def current(self) -> IssuerKeyQuerySet:
        return self.filter(retired_at__isnull=True)


class IssuerKey(UndeletableModel):
    """One Ed25519 key of a branch's did:web; a retired key is still published, never deleted,
    so that what it signed stays verifiable."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="issuer_keys")
    public_key_multibase = models.CharField(max_length=60, unique=True)
    # nonce (12 bytes) + AES-256-GCM ciphertext of the raw 32-byte private key
    encrypted_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(_("retirée le"), null=True, blank=True)

    objects = IssuerKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("clé de signature")
        verbose_name_plural = _("clés de signature")
        ordering = ["branch_id", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch"], condition=Q(retired_at__isnull=True), name="one_current_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}: {self.public_key_multibase}"


class StatusList(models.Model):
    """One Bitstring Status List (revocation) of a branch: bit n set means index n revoked."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="status_lists")
    number = models.PositiveIntegerField()
    bits = models.BinaryField()
    # Bumped whenever a bit changes; the signed credential is remade when it lags behind.
    version = models.PositiveIntegerField(default=0)
    signed = models.JSONField(default=dict, blank=True)
    signed_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("liste de statuts")
        verbose_name_plural = _("listes de statuts")
        constraints = [
            models.UniqueConstraint(fields=["branch", "number"], name="one_status_list_number")
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.number}"
