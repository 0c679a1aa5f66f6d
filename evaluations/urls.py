"""URLs of the evaluations room: evaluators' sheets and jury sessions."""

from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("grilles/", views.sheet_list, name="sheet_list"),
    path("grilles/<int:pk>/", views.sheet, name="sheet"),
    path("jurys/", views.session_list, name="session_list"),
    path("jurys/<int:pk>/", views.session_detail, name="session_detail"),
]
