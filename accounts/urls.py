"""URLs of the accounts room: login, logout by POST, password reset, activation, two-factor."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/oublie/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oublie/envoye/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/modifie/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("activer/<uidb64>/<token>/", views.activate, name="activate"),
    path("mon-compte/", views.account, name="account"),
    path("mon-compte/sessions/<int:pk>/fermer/", views.session_end, name="session_end"),
    path("double-authentification/", views.two_factor_setup, name="two_factor_setup"),
    path(
        "double-authentification/verifier/",
        views.two_factor_verify,
        name="two_factor_verify",
    ),
]
