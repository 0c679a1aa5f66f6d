"""URLs of the privacy room: the candidate's erasure request and the staff's answers."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("effacement/", views.own_erasure, name="own_erasure"),
    path("demandes/", views.request_list, name="request_list"),
    path("demandes/<int:pk>/", views.request_detail, name="request_detail"),
    path("demandes/<int:pk>/accepter/", views.request_approve, name="request_approve"),
    path("demandes/<int:pk>/refuser/", views.request_refuse, name="request_refuse"),
]
