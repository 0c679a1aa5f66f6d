"""Branch administration in the portal: a branch's settings, run by its CPNE staff (and national
administrators for every branch) through `services.branch_settings_update`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branches.access import roles_of
from branches.models import Branch, Company, ConflictOfInterest, EvaluatorHabilitation
from core.portal import get_object_for, refusal_shown
from core.text import validate_plain_text
from core.uploads import SIGNATURE_MAX_BYTES, UploadRejected, signature_image_png
from core.widgets import SearchSelect

from . import services
from .models import User


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
        for name in ("place_of_issue", "signatory_name", "signatory_title"):
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


def managed_branch(user: Any, pk: int) -> Branch:
    """The branch if the user runs it (CPNE staff, national administrator); 404 if they cannot
    see it, 403 if they see it without running it."""
    roles = roles_of(user)
    return get_object_for(
        Branch.objects.visible_to(user), allowed=lambda b: roles.is_staff_of(b.pk), pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def branch_settings(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = BranchSettingsForm(request.POST or None, request.FILES or None, instance=branch)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            services.branch_settings_update(
                branch=branch,
                by=request.user,
                changes=form.changes(),
                signature_png=form.signature_png,
                remove_signature=form.cleaned_data["remove_signature"],
            )
            messages.success(request, _("Les paramètres de la branche sont enregistrés."))
            return redirect("accounts:branch_settings", pk=branch.pk)
    # A refused form shows the branch as it is stored, not as the rejected input set it.
    branch.refresh_from_db()
    return render(
        request,
        "accounts/branch_settings.html",
        {"branch": branch, "form": form, "signature_max": SIGNATURE_MAX_BYTES},
    )


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


class EndHabilitationForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif de la fin d'habilitation"),
        max_length=300,
        validators=[validate_plain_text],
    )


def _render_evaluators(
    request: HttpRequest,
    branch: Branch,
    *,
    habilitation_form: HabilitationForm | None = None,
    conflict_form: ConflictForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    habilitations = (
        EvaluatorHabilitation.objects.filter(branch=branch)
        .select_related("evaluator", "referentiel")
        .order_by(
            "evaluator__last_name", "evaluator__first_name", "referentiel__title", "-valid_until"
        )
    )
    conflicts = (
        ConflictOfInterest.objects.filter(company__branch=branch)
        .select_related("evaluator", "company", "referentiel")
        .order_by("evaluator__last_name", "company__name")
    )
    return render(
        request,
        "accounts/branch_evaluators.html",
        {
            "branch": branch,
            "today": today,
            "habilitations": habilitations,
            "conflicts": conflicts,
            "habilitation_form": habilitation_form or HabilitationForm(branch=branch),
            "conflict_form": conflict_form or ConflictForm(branch=branch),
        },
        status=status,
    )


@login_required
@require_safe
def branch_evaluators(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's evaluators: their habilitations and declared conflicts of interest."""
    return _render_evaluators(request, managed_branch(request.user, pk))


@login_required
@require_POST
def habilitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = HabilitationForm(request.POST, branch=branch)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.evaluator_habilitate(branch=branch, by=request.user, **form.cleaned_data)
            messages.success(request, _("L'habilitation est enregistrée."))
            return redirect("accounts:branch_evaluators", pk=branch.pk)
    return _render_evaluators(request, branch, habilitation_form=form)


@login_required
@require_POST
def habilitation_end(request: HttpRequest, pk: int, habilitation_pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    habilitation = get_object_or_404(EvaluatorHabilitation, pk=habilitation_pk, branch=branch)
    form = EndHabilitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez le motif de la fin d'habilitation."))
    else:
        with refusal_shown(request):
            services.habilitation_end(
                habilitation=habilitation, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("L'habilitation prend fin aujourd'hui."))
    return redirect("accounts:branch_evaluators", pk=branch.pk)


@login_required
@require_POST
def conflict_declare(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = ConflictForm(request.POST, branch=branch)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.conflict_declare(branch=branch, by=request.user, **form.cleaned_data)
            messages.success(request, _("Le conflit d'intérêts est déclaré."))
            return redirect("accounts:branch_evaluators", pk=branch.pk)
    return _render_evaluators(request, branch, conflict_form=form)
