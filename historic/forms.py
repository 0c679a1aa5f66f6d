"""Forms of the historic room: the import's upload, and the public lookup by printed number."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from candidates.forms import BranchChoiceForm, ImportUploadForm, PortalForm

__all__ = [
    "BranchChoiceForm",
    "ClaimForm",
    "ClaimInviteForm",
    "HistoricUploadForm",
    "VerifyLookupForm",
]


class HistoricUploadForm(ImportUploadForm):
    """The dossier import's upload form (the staff's branches, the file), its help reworded."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["file"].help_text = _(
            "Une ligne par certificat ou attestation, avec les colonnes du modèle."
        )


class VerifyLookupForm(PortalForm):
    """What a holder or an employer reads on a paper certificate, plus the birth date."""

    number = forms.CharField(
        label=_("Numéro du certificat"),
        max_length=60,
        help_text=_("Tel qu'il est imprimé sur le document."),
    )
    last_name = forms.CharField(label=_("Nom de naissance du titulaire"), max_length=120)
    birth_date = forms.DateField(
        label=_("Date de naissance du titulaire"),
        help_text=_("JJ/MM/AAAA"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )


class ClaimInviteForm(PortalForm):
    """The address the CPNE sends the holder's invitation to claim the record."""

    email = forms.EmailField(
        label=_("Adresse e-mail du titulaire"),
        max_length=254,
        help_text=_("Le titulaire y reçoit un lien pour revendiquer ce certificat."),
    )


class ClaimForm(PortalForm):
    """What the holder confirms to claim the record: the birth date printed on it."""

    birth_date = forms.DateField(
        label=_("Votre date de naissance"),
        help_text=_("JJ/MM/AAAA, telle qu'elle figure sur le certificat."),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )
