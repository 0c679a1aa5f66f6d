"""Forms of the declarations pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.text import validate_plain_text

from .models import DeclarationEntry


class AcknowledgementForm(forms.Form):
    """The Caisse's acknowledgement of a flux: tick the rejected entries, with their reason;
    the others are accepted."""

    def __init__(self, *args: Any, entries: list[DeclarationEntry], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.entries = entries
        for entry in entries:
            self.fields[f"reject_{entry.pk}"] = forms.BooleanField(
                label=_("Rejetée"), required=False
            )
            self.fields[f"reason_{entry.pk}"] = forms.CharField(
                label=_("Motif du rejet"),
                required=False,
                max_length=500,
                validators=[validate_plain_text],
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "entry": entry,
                "reject": self[f"reject_{entry.pk}"],
                "reason": self[f"reason_{entry.pk}"],
            }
            for entry in self.entries
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for entry in self.entries:
            if (
                data.get(f"reject_{entry.pk}")
                and not (data.get(f"reason_{entry.pk}") or "").strip()
            ):
                self.add_error(
                    f"reason_{entry.pk}",
                    _("Donnez le motif du rejet, tel que la Caisse l'indique."),
                )
        return data

    def rejected(self) -> dict[int, str]:
        return {
            entry.pk: self.cleaned_data[f"reason_{entry.pk}"]
            for entry in self.entries
            if self.cleaned_data.get(f"reject_{entry.pk}")
        }


class CorrectionForm(forms.Form):
    note = forms.CharField(
        label=_("Correction faite auprès de la Caisse"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_plain_text],
    )
