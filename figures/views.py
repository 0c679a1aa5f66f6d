"""The figures page for the COC, national administrators and CPNE staff, and its exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from .exports import table_csv, table_xlsx
from .forms import FiguresFilterForm
from .selectors import CACHE_SECONDS, FigureFilters, figures_for, figures_version
from .tables import chart_specs, figure_tables, table_by_slug

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def figures_html(filters: FigureFilters, query: str) -> SafeString:
    """The figures' charts, tables and export links, rendered once per filters, language and
    export query, and cached like the figures themselves: recording a decision makes both
    stale. The query is part of the key: a staff member's own scope and an observer's branch
    filter give the same figures but not the same links. (`query` is rebuilt from the valid
    filters, so it adds no entries beyond theirs.)"""
    key = f"{filters.cache_key(figures_version())}:html:{query}"
    html = cache.get(key)
    if html is None:
        figures = figures_for(filters)
        html = render_to_string(
            "figures/_figures.html",
            {
                "tables": figure_tables(figures),
                "charts": {"charts": chart_specs(figures)},
                "query": query,
            },
        )
        cache.set(key, html, timeout=CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - our own template's output, escaped when rendered


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = FiguresFilterForm(request.GET, user=request.user)
    html = figures_html(form.figure_filters(), form.query()) if form.is_valid() else None
    context = {"section": "figures", "form": form, "figures_html": html}
    return render(request, "figures/dashboard.html", context, status=200 if html else 400)


@require_safe
@login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in EXPORT_TYPES:
        raise Http404
    form = FiguresFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponse(status=400)
    found = table_by_slug(figures_for(form.figure_filters()), table)
    if found is None:
        raise Http404
    body = table_csv(found) if fmt == "csv" else table_xlsx(found)
    response = HttpResponse(body, content_type=EXPORT_TYPES[fmt])
    filename = f"chiffres-cqpi-{found.slug}-{form.file_label()}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
