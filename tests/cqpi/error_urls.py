"""The project's URLs plus two views that fail, for the error-handler tests."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from cqpi.urls import handler404, handler500
from cqpi.urls import urlpatterns as project_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


urlpatterns = [
    path("boom/", boom),
    path("api/v1/boom/", boom),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
