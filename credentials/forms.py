"""The public "Vérifier une attestation numérique" form: a pasted text or an uploaded JSON."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# A credential of this platform is a few kilobytes; anything far larger is not one of ours.
MAX_CREDENTIAL_BYTES = 256 * 1024


class CredentialVerifyForm(forms.Form):
    text = forms.CharField(
        label=_("Texte du QR code ou attestation numérique (JSON)"),
        help_text=_(
            "Collez le texte lu dans le QR code du document, ou le contenu du fichier JSON."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        required=False,
        max_length=MAX_CREDENTIAL_BYTES,
    )
    file = forms.FileField(
        label=_("Ou déposez le fichier de l'attestation numérique (.json)"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        text = (cleaned.get("text") or "").strip()
        if upload is not None:
            if upload.size > MAX_CREDENTIAL_BYTES:
                raise forms.ValidationError(
                    _("Ce fichier est trop volumineux pour être une attestation numérique.")
                )
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    _("Ce fichier n'est pas une attestation numérique (JSON).")
                ) from None
        if not text.strip():
            raise forms.ValidationError(_("Collez un texte ou déposez un fichier."))
        cleaned["content"] = text
        return cleaned
