"""The search endpoints of the dossier opening form's `SearchSelect` fields.

Each answers `?q=` with `<option>` elements for the staff member's own branches: the form's
field and these endpoints take their rows from the same selector (hence the same scope), so
what is offered here is what a submitted id may be; the field only labels them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from branches.access import require_staff_member
from core.widgets import search_options

from . import selectors
from .forms import DossierOpenForm

SHOWN = 20
MIN_LENGTH = 2

# The opening form's searched fields and the selector of each one's rows.
CHOICES: dict[str, Callable[..., QuerySet[Any]]] = {
    "existing_candidate": selectors.openable_candidates,
    "company": selectors.openable_companies,
}


def _answer(request: HttpRequest, field_name: str, search: str) -> HttpResponse:
    require_staff_member(request.user)
    query = request.GET.get("q", "").strip()[:100]
    if len(query) < MIN_LENGTH:
        query = ""
    field = DossierOpenForm.base_fields[field_name]
    queryset = CHOICES[field_name](user=request.user)
    # One more than shown: whether to say the list is cut.
    matches = list(_search(queryset, search, query)[: SHOWN + 1]) if query else []
    return render(
        request,
        "core/widgets/search_options.html",
        {
            "options": search_options(field, query, matches[:SHOWN]),  # type: ignore[arg-type]
            "query": query,
            "found": min(len(matches), SHOWN),
            "cut": len(matches) > SHOWN,
        },
    )


def _search(queryset: QuerySet, search: str, query: str) -> QuerySet:
    if search == "names":
        names = Q()
        for word in query.split():
            names &= Q(last_name__istartswith=word) | Q(first_name__istartswith=word)
        return queryset.filter(names).order_by("last_name", "first_name", "pk")
    return queryset.filter(Q(name__icontains=query) | Q(siret__startswith=query)).order_by(
        "name", "pk"
    )


@require_safe
@login_required
def candidate_choices(request: HttpRequest) -> HttpResponse:
    """The branch's registered candidates whose names start with each word typed."""
    return _answer(request, "existing_candidate", "names")


@require_safe
@login_required
def company_choices(request: HttpRequest) -> HttpResponse:
    """The branch's companies whose name holds the query, or whose SIRET starts with it."""
    return _answer(request, "company", "companies")
