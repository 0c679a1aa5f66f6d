"""Branch administration in the portal: a branch's settings, run by its CPNE staff (and national
administrators for every branch) through `services.branch_settings_update`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from branches.access import roles_of
from branches.models import Branch
from core.portal import get_object_for, refusal_shown
from core.text import validate_plain_text
from core.uploads import SIGNATURE_MAX_BYTES, UploadRejected, signature_image_png

from . import services


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
