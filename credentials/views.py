"""Public pages of the credentials room: the issuers' DID documents, their status lists, and
"Vérifier une attestation numérique"."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_safe

from branches.models import Branch
from core.api.throttles import VerifyThrottle, throttled_page

from . import selectors, services
from .forms import CredentialVerifyForm
from .models import StatusList
from .verification import Outcome, Verdict, verify_text


def _json(document: dict, content_type: str) -> JsonResponse:  # type: ignore[type-arg]
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = content_type
    # Verifiers anywhere read these: a wallet in a browser fetches them across sites.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@cache_control(public=True, max_age=300)
def did_document(request: HttpRequest, code: str) -> JsonResponse:
    """did:web resolution: the branch's keys, current and retired."""
    branch = get_object_or_404(Branch, code=code)
    return _json(services.did_document(branch=branch), "application/did+json")


@require_safe
@cache_control(public=True, max_age=60)
def status_list(request: HttpRequest, code: str, number: int) -> JsonResponse:
    """The branch's signed BitstringStatusListCredential; list 0 exists for every branch."""
    branch = get_object_or_404(Branch, code=code)
    if number != 0 and not StatusList.objects.filter(branch=branch, number=number).exists():
        raise Http404
    return _json(
        services.status_list_credential(branch=branch, number=number), "application/vc+ld+json"
    )


def verdict_message(outcome: Outcome) -> str:
    return {
        Verdict.VALID: _("Attestation numérique valide : signée par la branche et non modifiée."),
        Verdict.REVOKED: _("Cette attestation a été délivrée mais elle n'est plus valable."),
        Verdict.ALTERED: _(
            "Attestation modifiée : elle porte la signature de cette plateforme mais son "
            "contenu n'est plus celui qui a été signé."
        ),
        Verdict.UNKNOWN: _("Cette attestation n'est pas reconnue."),
    }[outcome.verdict]


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@throttled_page(VerifyThrottle)
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone may paste a QR code's text or upload a credential and learn whether it is one
    of ours, unaltered and not revoked. Nothing submitted is kept."""
    form = CredentialVerifyForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        outcome = verify_text(
            form.cleaned_data["content"],
            keys=selectors.known_keys(),
            status=selectors.revoked_here,
        )
    response = render(
        request,
        "credentials/verify.html",
        {
            "form": form,
            "outcome": outcome,
            "message": verdict_message(outcome) if outcome else "",
            "summary": _summary(outcome)
            if outcome and outcome.verdict != Verdict.UNKNOWN
            else None,
        },
        status=400 if request.method == "POST" and outcome is None else 200,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _summary(outcome: Outcome) -> dict[str, str]:
    """What the verified document says, for the person comparing it with the paper."""
    claims = outcome.claims
    if outcome.kind == "qr":
        return {
            "number": str(claims.get("num", "")),
            "holder": str(claims.get("sub", "")),
            "title": str(claims.get("cqpi", "")),
            "issued_on": str(claims.get("iat", "")),
            "valid_until": str(claims.get("exp") or ""),
        }
    subject = claims.get("credentialSubject") or {}
    names = [
        i.get("identityHash", "")
        for i in subject.get("identifier") or []
        if isinstance(i, dict) and i.get("identityType") == "name"
    ]
    return {
        "number": str(claims.get("name", "")),
        "holder": str(names[0] if names else ""),
        "title": str((subject.get("achievement") or {}).get("name", "")),
        "issued_on": str(claims.get("validFrom", ""))[:10],
        "valid_until": str(claims.get("validUntil", ""))[:10],
    }
