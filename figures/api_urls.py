"""The figures' API route, mounted by `cqpi/api/urls.py` under /api/v1/statistics/."""

from django.urls import path

from .api import StatisticsView

urlpatterns = [
    path("", StatisticsView.as_view(), name="statistics"),
]
