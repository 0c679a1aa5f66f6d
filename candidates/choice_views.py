"""The search endpoints of the dossier opening form's `SearchSelect` fields.

Each answers `?q=` with `<option>` elements for the staff member's own branches, built from
the form's own field: the same queryset (hence the same scope) decides what is offered here
and what a submitted id may be.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from branches.access import require_staff_member
from core.widgets import search_options

from .forms import DossierOpenForm

SHOWN = 20
MIN_LENGTH = 2


def _answer(request: HttpRequest, field_name: str, search: str) -> HttpResponse:
    require_staff_member(request.user)
    query = request.GET.get("q", "").strip()[:100]
    if len(query) < MIN_LENGTH:
        query = ""
    field = DossierOpenForm(user=request.user).fields[field_name]
    queryset: QuerySet = field.queryset  # type: ignore[attr-defined]
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
