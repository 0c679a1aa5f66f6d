"""URLs of the credentials room: did:web documents, status lists, the public verification page."""

from django.urls import path

from . import views

app_name = "credentials"

urlpatterns = [
    path("verify/credential/", views.verify, name="verify"),
    path("issuers/<slug:code>/did.json", views.did_document, name="did_document"),
    path("issuers/<slug:code>/status/<int:number>", views.status_list, name="status_list"),
]
