"""Evaluators' scoring pages and the jury sessions' pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def sheet_list(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "home.html")


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "home.html")
