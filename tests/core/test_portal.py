"""The portal's edge: a service's refusal shown once (message, form error or JSON), objects
fetched for a user (404 / 403), and no view catching the domain error by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.test import RequestFactory

from branches.models import Branch
from core.errors import DomainError, InvalidTransition
from core.portal import get_object_for, refusal_as_json, refusal_shown
from tests.factories import BranchFactory

REFUSAL = "La session est close : aucune décision ne peut plus être enregistrée."


def _request(method: str = "post", data: dict[str, str] | None = None) -> HttpRequest:
    request = getattr(RequestFactory(), method)("/anywhere/", data or {})
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def _messages(request: HttpRequest) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(request)]


def _service(*, refuse: Exception | None = None) -> str:
    if refuse is not None:
        raise refuse
    return "done"


# --- A refused action: an error message, and the view's own redirect -------------------


def _action_view(request: HttpRequest, refuse: Exception | None = None) -> HttpResponse:
    with refusal_shown(request):
        _service(refuse=refuse)
        return redirect("/done/")
    return redirect("/object/")


def test_a_refused_action_queues_the_message_as_an_error_and_redirects() -> None:
    request = _request()
    response = _action_view(request, refuse=DomainError(REFUSAL))
    assert response.status_code == 302
    assert response["Location"] == "/object/"
    assert _messages(request) == [(constants.ERROR, REFUSAL)]


def test_an_action_that_goes_through_leaves_the_block_untouched() -> None:
    request = _request()
    response = _action_view(request)
    assert response["Location"] == "/done/"
    assert _messages(request) == []


def test_a_template_frames_the_refusal() -> None:
    request = _request()
    with refusal_shown(request, template="Enregistrée mais non transmise : %s"):
        _service(refuse=InvalidTransition(REFUSAL))
    assert _messages(request) == [(constants.ERROR, f"Enregistrée mais non transmise : {REFUSAL}")]


@pytest.mark.parametrize("error", [PermissionDenied(), ValueError("a bug")])
def test_anything_but_a_domain_error_goes_up_untouched(error: Exception) -> None:
    request = _request()
    with pytest.raises(type(error)):
        _action_view(request, refuse=error)
    assert _messages(request) == []


# --- A refused form: re-rendered with what the user typed and the refusal ---------------


class PlaceForm(forms.Form):
    place = forms.CharField()


def _form_view(request: HttpRequest, refuse: Exception | None = None) -> HttpResponse:
    form = PlaceForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            _service(refuse=refuse)
            return redirect("/done/")
    return HttpResponse(form.as_div())


def test_a_refused_form_is_rendered_again_with_the_data_and_the_error() -> None:
    request = _request(data={"place": "Salle Jean Moulin, Lyon"})
    response = _form_view(request, refuse=DomainError(REFUSAL))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Salle Jean Moulin, Lyon"' in page
    assert re.search(r'class="errorlist[^"]*nonfield[^"]*"', page)
    assert "La session est close : aucune décision" in page
    # On the form, not twice: the message queue stays empty.
    assert _messages(request) == []


def test_a_form_refusal_is_a_non_field_error() -> None:
    request = _request(data={"place": "Lyon"})
    form = PlaceForm(request.POST)
    assert form.is_valid()
    with refusal_shown(request, form=form):
        _service(refuse=DomainError(REFUSAL))
    assert form.non_field_errors() == [REFUSAL]
    assert not form.is_valid()


def test_a_form_block_does_not_swallow_other_errors() -> None:
    request = _request(data={"place": "Lyon"})
    with pytest.raises(PermissionDenied):
        _form_view(request, refuse=PermissionDenied())


# --- A refusal answered in JSON ------------------------------------------------------------


@refusal_as_json
def _json_view(request: HttpRequest, refuse: Exception | None = None) -> JsonResponse:
    return JsonResponse({"result": _service(refuse=refuse)})


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (DomainError(REFUSAL), 400, "domain_error"),
        (DomainError(REFUSAL, code="stale_sheet"), 409, "stale_sheet"),
        (InvalidTransition(REFUSAL), 409, "invalid_transition"),
    ],
)
def test_a_json_refusal_has_the_api_s_status_and_error_body(
    error: DomainError, status: int, code: str
) -> None:
    response = _json_view(_request(), refuse=error)
    assert response.status_code == status
    assert json.loads(response.content) == {"error": {"code": code, "message": REFUSAL}}


def test_a_json_view_answers_normally_and_lets_other_errors_go_up() -> None:
    assert json.loads(_json_view(_request()).content) == {"result": "done"}
    with pytest.raises(PermissionDenied):
        _json_view(_request(), refuse=PermissionDenied())


# --- Fetching an object for a user -------------------------------------------------------


@pytest.mark.django_db
def test_an_object_out_of_the_user_s_queryset_is_not_found() -> None:
    mine, theirs = BranchFactory.create(), BranchFactory.create()
    with pytest.raises(Http404):
        get_object_for(Branch.objects.filter(pk=mine.pk), pk=theirs.pk)


@pytest.mark.django_db
def test_a_visible_object_the_user_may_not_act_on_is_forbidden() -> None:
    branch = BranchFactory.create()
    with pytest.raises(PermissionDenied):
        get_object_for(
            Branch.objects.all(), allowed=lambda found: found.pk != branch.pk, pk=branch.pk
        )


@pytest.mark.django_db
def test_a_visible_allowed_object_is_returned() -> None:
    branch = BranchFactory.create()
    seen: list[Any] = []

    def allowed(found: Branch) -> bool:
        seen.append(found)
        return True

    assert get_object_for(Branch.objects.all(), allowed=allowed, pk=branch.pk) == branch
    assert seen == [branch]


# --- No view catches the domain error by hand ------------------------------------------------

_CATCHES_DOMAIN_ERROR = re.compile(r"^\s*except\b[^:]*\bDomainError\b", re.MULTILINE)


def _view_modules() -> list[Path]:
    """Every `*views*.py` of the project's packages (apps and the project package)."""
    root = Path(settings.BASE_DIR)
    packages = [
        path.parent
        for path in root.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench", "scripts"}
    ]
    return sorted(module for package in packages for module in package.rglob("*views*.py"))


def test_the_scan_recognises_a_hand_written_catch() -> None:
    assert _CATCHES_DOMAIN_ERROR.search("try:\n    x()\nexcept DomainError as exc:\n    pass\n")
    assert _CATCHES_DOMAIN_ERROR.search("    except (ValueError, DomainError):\n")
    assert not _CATCHES_DOMAIN_ERROR.search("from core.errors import DomainError\n")
    assert not _CATCHES_DOMAIN_ERROR.search("    except InvalidDomainErrorish:\n")


def test_no_view_catches_the_domain_error_by_hand() -> None:
    modules = _view_modules()
    root = Path(settings.BASE_DIR)
    names = {str(module.relative_to(root)) for module in modules}
    # The scan reaches the portal's views: an empty scan would prove nothing.
    assert {"candidates/views.py", "evaluations/views.py", "certifications/views.py"} <= names
    offenders = [
        str(module.relative_to(root))
        for module in modules
        if _CATCHES_DOMAIN_ERROR.search(module.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use core.portal.refusal_shown / refusal_as_json instead"
