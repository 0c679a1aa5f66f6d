"""Forms of the staff's certificate and référentiel pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from core.text import validate_plain_text

from .models import CertificateStatus


class StaffForm(forms.Form):
    """French labels take no trailing colon here: the layout sets them apart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CertificateFilterForm(StaffForm):
    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        help_text=_("Numéro de certificat ou nom du titulaire"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[("", _("Tous les statuts")), *CertificateStatus.choices],
    )
    reported = forms.ChoiceField(
        label=_("Passeport de compétences"),
        required=False,
        choices=[
            ("", _("Tous")),
            ("no", _("Non déclarés")),
            ("yes", _("Déclarés")),
        ],
    )


class RevokeForm(StaffForm):
    reason = forms.CharField(
        label=_("Motif de la révocation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Il sera indiqué dans l'historique du certificat."),
    )
    confirm = forms.BooleanField(
        label=_(
            "Je confirme la révocation : le document ne sera plus valable et la page de "
            "vérification l'indiquera à quiconque le consulte."
        ),
        error_messages={"required": _("Cochez la case pour confirmer la révocation.")},
    )


class ReissueForm(StaffForm):
    first_name = forms.CharField(
        label=_("Prénom du titulaire"), max_length=120, validators=[validate_plain_text]
    )
    last_name = forms.CharField(
        label=_("Nom du titulaire"), max_length=120, validators=[validate_plain_text]
    )
    reason = forms.CharField(
        label=_("Motif de la réédition"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : correction de l'orthographe du nom."),
    )


class AdoptForm(StaffForm):
    # The branches on offer depend on the user and the référentiel: set in __init__.
    branch = forms.ModelChoiceField(label=_("Branche"), queryset=Branch.objects.none())
    accord_date = forms.DateField(
        label=_("Date de l'accord"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, branches: QuerySet[Branch], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["branch"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = branches
        if len(branches) == 1:
            field.initial = branches[0].pk
            field.widget = forms.HiddenInput()

    def clean_accord_date(self) -> Any:
        value = self.cleaned_data["accord_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("La date de l'accord ne peut être dans le futur."))
        return value


class DocumentVerifyForm(forms.Form):
    """The public "Vérifier un document" form: one PDF (its content and size are checked by
    `verification.document_check`, through core.uploads)."""

    document = forms.FileField(
        label=_("Document PDF à vérifier"),
        help_text=_("Le fichier tel que vous l'avez reçu, sans l'avoir ouvert ni réenregistré."),
    )
