"""Evidence pages: adding a file to a dossier and downloading it, both behind the dossier's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from audit.services import audit_record
from certifications.models import Capacity
from core.portal import refusal_shown

from . import evidence as evidence_service
from .models import Dossier


class EvidenceUploadForm(forms.Form):
    # Empty files reach the service, which refuses them with its own message.
    file = forms.FileField(label=gettext_lazy("Fichier"), allow_empty_file=True)
    capacity = forms.ModelChoiceField(
        label=gettext_lazy("Capacité illustrée"),
        queryset=Capacity.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, dossier: Dossier, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["capacity"]
        assert isinstance(field, forms.ModelChoiceField)
        # Only the capacities of the dossier's own référentiel version are valid choices.
        field.queryset = Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by(
            "bloc__order", "order", "code"
        )


def _back(request: HttpRequest, dossier: Dossier, role: str | None) -> HttpResponse:
    """Back to the page the file was sent from: staff, candidate space or grid."""
    if role == "staff":
        return redirect("candidates:dossier_detail", dossier.pk)
    if (
        dossier.candidate.user_id == request.user.pk
        and request.POST.get("back") == "evidence_dossier"
    ):
        # Sent from the candidate's dossier of evidence: back to that page.
        return redirect("space:evidence_dossier", dossier.pk)
    if role == "candidate" or dossier.candidate.user_id == request.user.pk:
        return redirect("space:dossier_detail", dossier.pk)
    sheet = dossier.evaluations.filter(sheets__evaluator_id=request.user.pk).values_list(
        "sheets__pk", flat=True
    )
    first = sheet.first()
    if first is not None:
        return redirect("evaluations:sheet", first)
    return redirect("home")


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = get_object_or_404(
        Dossier.objects.visible_to(request.user).select_related("candidate"), pk=pk
    )
    role: str | None = None  # until the service says in which capacity the user adds it
    with refusal_shown(request):
        # Permission first: someone who may not add evidence learns nothing from the form.
        role = evidence_service.check_may_upload(request.user, dossier)
        form = EvidenceUploadForm(request.POST, request.FILES, dossier=dossier)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return _back(request, dossier, role)
        evidence_service.evidence_add(
            dossier=dossier,
            uploaded=form.cleaned_data["file"],
            capacity=form.cleaned_data["capacity"],
            by=request.user,
        )
        messages.success(request, _("Pièce ajoutée au dossier."))
    return _back(request, dossier, role)


@require_safe
@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file, as an attachment with its sniffed type, to those who may see the dossier."""
    evidence = get_object_or_404(
        evidence_service.evidence_visible_to(request.user).select_related("dossier"), pk=pk
    )
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    # Reading someone's documents leaves a trace, as changing them does.
    audit_record(
        "evidence.download",
        obj=evidence,
        branch=evidence.dossier.branch_id,
        label=evidence.dossier.reference,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
