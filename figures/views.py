"""The figures page for the COC, national administrators and CPNE staff, and its exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from .exports import table_csv, table_xlsx
from .forms import FiguresFilterForm
from .selectors import figures_for
from .tables import chart_specs, figure_tables, table_by_slug

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = FiguresFilterForm(request.GET, user=request.user)
    figures = figures_for(form.figure_filters()) if form.is_valid() else None
    context = {
        "section": "figures",
        "form": form,
        "figures": figures,
        "tables": figure_tables(figures) if figures else [],
        "charts": {"charts": chart_specs(figures)} if figures else None,
        "query": request.GET.urlencode(),
    }
    return render(request, "figures/dashboard.html", context, status=200 if figures else 400)


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
    filename = f"chiffres-cqpi-{found.slug}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
