"""Forms of the erasure pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message à votre branche (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ErasureApproveForm(forms.Form):
    answer = forms.CharField(
        label=_("Réponse au candidat"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Obligatoire si le candidat a reçu un certificat ou une attestation : ils sont "
            "conservés au titre de l'obligation légale, dites-le-lui."
        ),
    )


class ErasureRefuseForm(forms.Form):
    answer = forms.CharField(
        label=_("Motif du refus"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
