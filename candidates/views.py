"""Branch staff's dossier pages: list, open, follow and move a dossier along its path."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "home.html")
