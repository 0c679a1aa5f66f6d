"""Cross-cutting views: the home page that sends each role to its space, and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from branches.access import roles_of

from . import health


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their space; a page of its own for whom no space exists yet."""
    roles = roles_of(request.user)
    if roles.is_staff_member or roles.is_national_admin:
        return redirect("candidates:dashboard")
    if roles.is_evaluator or roles.is_referent:
        return redirect("evaluations:sheet_list")
    if roles.is_jury_member:
        return redirect("evaluations:session_list")
    if roles.is_coc_observer:
        return redirect("figures:dashboard")
    if roles.is_candidate:
        try:
            return redirect(reverse("space:home"))
        except NoReverseMatch:
            pass
    return render(request, "home.html")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 naming the failing one otherwise."""
    report = health.check_all()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_safe
def bench_baseline(request: HttpRequest) -> JsonResponse:
    """The benchmarks' yardstick: one trivial query and fixed JSON.

    Mounted only when BENCHMARK_VIEWS is on (`make bench`), never in normal use.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})


@require_safe
@login_required
def bench_floor(request: HttpRequest) -> HttpResponse:
    """The floor of every logged-in page: the full layout (session, roles, navigation, messages,
    every middleware) around empty content. What a page costs beyond it is its own work.

    Mounted only when BENCHMARK_VIEWS is on (`make bench`), never in normal use.
    """
    return render(request, "bench_floor.html")
