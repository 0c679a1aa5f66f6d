"""The portal's edge: a service's refusal shown to the user, and an object fetched for a user.

A service refuses with a `DomainError` whose message is already written for people; the portal
translates it here, once, instead of each view catching it by hand (as the API does in
`core.api.exceptions`):

- `refusal_shown` — a block whose refusal becomes an error on the form being re-rendered (the
  user keeps what they typed) or, for an action without a form, an error message; the view goes
  on after the block to its own re-render or redirect;
- `refusal_as_json` — the same for the few portal views that answer a script in JSON.

`get_object_for` is the generic half of every room's access helpers: "visible, else 404; allowed,
else 403" (compare healthchecks' `_get_check_for_user`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404

from .api.exceptions import from_domain_error
from .errors import DomainError

M = TypeVar("M", bound=Model)
V = TypeVar("V", bound=Callable[..., HttpResponseBase])


@contextmanager
def refusal_shown(
    request: HttpRequest, *, form: forms.BaseForm | None = None, template: str = "%s"
) -> Iterator[None]:
    """Run the block; if a service refuses, show why and carry on after the block.

    With `form`, the message becomes the form's non-field error, for the view to render the
    bound form again (status and page are the view's); without, it is queued as an error
    message, for the view to redirect or re-render. `template` frames the message
    ("Enregistré mais non transmis : %s"). Only a `DomainError` is caught: anything else (a
    `PermissionDenied`, a bug) goes up as it would without the block.

        with refusal_shown(request, form=form):
            services.certificate_revoke(certificate=certificate, ...)
            messages.success(request, ...)
            return redirect(certificate)
        return render(request, ..., {"form": form})
    """
    try:
        yield
    except DomainError as exc:
        message = template % exc.message
        if form is not None:
            form.add_error(None, message)
        else:
            messages.error(request, message)


def refusal_as_json(view: V) -> V:
    """A view answering a script: a refusal becomes the API's error body and status (409 when
    the state moved under the user, else 400), so the page can show its message."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return JsonResponse(
                {"error": {"code": exc.code, "message": exc.message}},
                status=from_domain_error(exc).status_code,
            )

    return wrapper  # type: ignore[return-value]


def get_object_for(
    queryset: QuerySet[M], *, allowed: Callable[[M], bool] | None = None, **lookup: Any
) -> M:
    """The object of `queryset` matching `lookup`, else 404; PermissionDenied (403) if `allowed`
    says the user may not act on it.

    `queryset` is already narrowed to what the user may see (`Model.objects.visible_to(user)`):
    an object of another branch is not found, so its existence is not revealed, while someone
    who sees it without the right to act on it is told so.
    """
    found = get_object_or_404(queryset, **lookup)
    if allowed is not None and not allowed(found):
        raise PermissionDenied
    return found
