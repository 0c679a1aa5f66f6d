"""URLs of the accounts room: login, logout by POST, password reset, activation, two-factor."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import branch_views, views

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
    path("branches/<int:pk>/parametres/", branch_views.branch_settings, name="branch_settings"),
    path(
        "branches/<int:pk>/evaluateurs/", branch_views.branch_evaluators, name="branch_evaluators"
    ),
    path(
        "branches/<int:pk>/evaluateurs/habiliter/",
        branch_views.habilitation_create,
        name="habilitation_create",
    ),
    path(
        "branches/<int:pk>/habilitations/<int:habilitation_pk>/fin/",
        branch_views.habilitation_end,
        name="habilitation_end",
    ),
    path(
        "branches/<int:pk>/evaluateurs/conflits/",
        branch_views.conflict_declare,
        name="conflict_declare",
    ),
    path("mon-compte/sessions/<int:pk>/fermer/", views.session_end, name="session_end"),
    path("double-authentification/", views.two_factor_setup, name="two_factor_setup"),
    path(
        "double-authentification/verifier/",
        views.two_factor_verify,
        name="two_factor_verify",
    ),
]
