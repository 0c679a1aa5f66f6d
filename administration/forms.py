"""Forms of the branch administration pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from accounts import services
from accounts.models import User
from branches.models import Branch, College, Company, Role
from branches.validators import validate_siret
from core.text import validate_plain_text
from core.uploads import UploadRejected, signature_image_png
from core.widgets import SearchSelect


class BranchSettingsForm(forms.ModelForm):
    signature = forms.FileField(
        label=gettext_lazy("Nouvelle image de signature"),
        required=False,
        help_text=gettext_lazy(
            "PNG ou JPEG, nettoyée puis enregistrée en PNG ; elle doit peser au plus 300 Ko "
            "une fois nettoyée pour figurer sur chaque certificat."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_signature = forms.BooleanField(
        label=gettext_lazy("Retirer l'image de signature actuelle"), required=False
    )

    class Meta:
        model = Branch
        fields = services.BRANCH_SETTINGS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # French labels take no trailing colon in the portal: the layout sets them apart.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name in (
            "certifier_name",
            "place_of_issue",
            "signatory_name",
            "signatory_title",
            "cdc_client_id",
            "cdc_contract_id",
        ):
            self.fields[name].validators.append(validate_plain_text)
        self.signature_png: bytes | None = None

    def clean_signature(self) -> Any:
        uploaded = self.cleaned_data.get("signature")
        if uploaded:
            try:
                self.signature_png = signature_image_png(uploaded)
            except UploadRejected as refusal:
                raise forms.ValidationError(refusal.message) from None
        return uploaded

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in services.BRANCH_SETTINGS}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class HabilitationForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Adresse e-mail de l'évaluateur"))
    first_name = forms.CharField(
        label=gettext_lazy("Prénom"),
        max_length=150,
        required=False,
        validators=[validate_plain_text],
        help_text=gettext_lazy("Pour une personne sans compte, qui recevra une invitation."),
    )
    last_name = forms.CharField(
        label=gettext_lazy("Nom"), max_length=150, required=False, validators=[validate_plain_text]
    )
    referentiel: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("CQPI"), queryset=None, empty_label=gettext_lazy("— Choisir —")
    )
    valid_from = forms.DateField(label=gettext_lazy("Valable du"), widget=DateInput())
    valid_until = forms.DateField(label=gettext_lazy("Valable jusqu'au"), widget=DateInput())

    def __init__(self, *args: Any, branch: Branch, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "habilitation")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["referentiel"].queryset = services.adopted_referentiels(branch)  # type: ignore[attr-defined]


class ConflictForm(forms.Form):
    evaluator: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Évaluateur"), queryset=None, empty_label=gettext_lazy("— Choisir —")
    )
    company: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Entreprise"),
        queryset=None,
        empty_label=gettext_lazy("— Choisir —"),
        widget=SearchSelect(
            "candidates:company_choices", search_label=gettext_lazy("Rechercher une entreprise")
        ),
    )
    referentiel: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("CQPI"), queryset=None, empty_label=gettext_lazy("— Choisir —")
    )
    reason = forms.CharField(
        label=gettext_lazy("Motif"), max_length=300, validators=[validate_plain_text]
    )

    def __init__(self, *args: Any, branch: Branch, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "conflict")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["evaluator"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(habilitations__branch=branch)
            .distinct()
            .order_by("last_name", "first_name", "email")
        )
        self.fields["evaluator"].label_from_instance = lambda u: str(u)  # type: ignore[attr-defined]
        self.fields["company"].queryset = Company.objects.filter(branch=branch)  # type: ignore[attr-defined]
        self.fields["referentiel"].queryset = services.adopted_referentiels(branch)  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    """The reason posted with an action of the people pages (end, suspend, lift, withdraw);
    the pages write their own one-line forms, this one checks what comes back."""

    reason = forms.CharField(
        label=gettext_lazy("Motif"), max_length=300, validators=[validate_plain_text]
    )

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class MemberForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Adresse e-mail"))
    first_name = forms.CharField(
        label=gettext_lazy("Prénom"),
        max_length=150,
        required=False,
        validators=[validate_plain_text],
        help_text=gettext_lazy("Pour une personne sans compte, qui recevra une invitation."),
    )
    last_name = forms.CharField(
        label=gettext_lazy("Nom"), max_length=150, required=False, validators=[validate_plain_text]
    )
    role = forms.ChoiceField(label=gettext_lazy("Rôle"), choices=Role.choices)
    college = forms.ChoiceField(
        label=gettext_lazy("Collège (membre de jury)"),
        choices=[("", gettext_lazy("— Sans objet —")), *College.choices],
        required=False,
    )
    company: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Entreprise (référent)"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— Sans objet —"),
        widget=SearchSelect(
            "candidates:company_choices", search_label=gettext_lazy("Rechercher une entreprise")
        ),
    )

    def __init__(self, *args: Any, branch: Branch, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "member")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(branch=branch)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role == Role.JURY and not data.get("college"):
            self.add_error("college", gettext_lazy("Choisissez le collège du membre de jury."))
        if role == Role.REFERENT and not data.get("company"):
            self.add_error("company", gettext_lazy("Choisissez l'entreprise du référent."))
        return data


class CompanyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Raison sociale"), max_length=200, validators=[validate_plain_text]
    )
    siret = forms.CharField(label=gettext_lazy("SIRET"), max_length=20, validators=[validate_siret])
    city = forms.CharField(
        label=gettext_lazy("Ville"),
        max_length=120,
        required=False,
        validators=[validate_plain_text],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "company")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
