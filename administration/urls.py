"""URLs of the administration room: a branch's settings and people, run by its CPNE staff."""

from django.urls import path

from . import views

app_name = "administration"

urlpatterns = [
    path("<int:pk>/parametres/", views.branch_settings, name="branch_settings"),
    path("<int:pk>/evaluateurs/", views.branch_evaluators, name="branch_evaluators"),
    path("<int:pk>/evaluateurs/habiliter/", views.habilitation_create, name="habilitation_create"),
    path(
        "<int:pk>/habilitations/<int:habilitation_pk>/fin/",
        views.habilitation_end,
        name="habilitation_end",
    ),
    path(
        "<int:pk>/habilitations/<int:habilitation_pk>/suspendre/",
        views.habilitation_suspend,
        name="habilitation_suspend",
    ),
    path(
        "<int:pk>/habilitations/<int:habilitation_pk>/lever-suspension/",
        views.habilitation_lift,
        name="habilitation_lift",
    ),
    path("<int:pk>/evaluateurs/conflits/", views.conflict_declare, name="conflict_declare"),
    path("<int:pk>/membres/", views.branch_members, name="branch_members"),
    path("<int:pk>/entreprises/", views.branch_companies, name="branch_companies"),
    path("<int:pk>/entreprises/ajouter/", views.company_register, name="company_register"),
    path("<int:pk>/membres/ajouter/", views.member_add, name="member_add"),
    path(
        "<int:pk>/membres/<int:membership_pk>/retirer/", views.member_remove, name="member_remove"
    ),
]
