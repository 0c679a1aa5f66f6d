"""Forms of the staff's certificate and référentiel pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from core.text import validate_plain_text

from .models import Bloc, Capacity, CertificateStatus


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


class _CapacityChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        version = obj.bloc.version
        return f"{version.referentiel.title} v{version.number} — {obj.code} {obj.title}"


class _BlocChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.version.referentiel.title} v{obj.version.number} — {obj.code} {obj.title}"


class EquivalenceForm(StaffForm):
    """Propose one row of the equivalence table: two capacities, or two blocs."""

    source_capacity = _CapacityChoice(
        label=_("Capacité validée"), required=False, queryset=Capacity.objects.none()
    )
    target_capacity = _CapacityChoice(
        label=_("donne la capacité"), required=False, queryset=Capacity.objects.none()
    )
    source_bloc = _BlocChoice(
        label=_("ou bloc validé en totalité"), required=False, queryset=Bloc.objects.none()
    )
    target_bloc = _BlocChoice(
        label=_("donne le bloc"), required=False, queryset=Bloc.objects.none()
    )
    comment = forms.CharField(
        label=_("Justification"),
        required=False,
        max_length=2000,
        validators=[validate_plain_text],
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        capacities = Capacity.objects.select_related("bloc__version__referentiel").order_by(
            "bloc__version__referentiel__title", "bloc__version__number", "bloc__order", "order"
        )
        blocs = Bloc.objects.select_related("version__referentiel").order_by(
            "version__referentiel__title", "version__number", "order"
        )
        for name, queryset in (
            ("source_capacity", capacities),
            ("target_capacity", capacities),
            ("source_bloc", blocs),
            ("target_bloc", blocs),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        capacities = data.get("source_capacity"), data.get("target_capacity")
        blocs = data.get("source_bloc"), data.get("target_bloc")
        if all(capacities) and not any(blocs):
            data["source"], data["target"] = capacities
        elif all(blocs) and not any(capacities):
            data["source"], data["target"] = blocs
        else:
            raise forms.ValidationError(
                _("Choisissez deux capacités, ou deux blocs (pas les deux).")
            )
        return data


class SupersedeForm(StaffForm):
    reason = forms.CharField(
        label=_("Motif du remplacement"),
        max_length=2000,
        validators=[validate_plain_text],
    )
