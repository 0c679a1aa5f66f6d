"""URLs of the evaluations room: evaluators' grids, assigning evaluations, jury sessions."""

from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("grilles/", views.sheet_list, name="sheet_list"),
    path("grilles/a-venir/", views.upcoming, name="upcoming"),
    path("grilles/agenda/", views.calendar_feed_manage, name="calendar_feed_manage"),
    path("agenda/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("grilles/<int:pk>/", views.sheet, name="sheet"),
    path("grilles/<int:pk>/enregistrer/", views.sheet_autosave, name="sheet_autosave"),
    path("grilles/<int:pk>/reattribuer/", views.sheet_reassign, name="sheet_reassign"),
    path(
        "dossiers/<int:dossier_pk>/confier/",
        views.evaluation_assign,
        name="evaluation_assign",
    ),
    path(
        "rendez-vous/<int:pk>/",
        views.evaluation_appointment,
        name="evaluation_appointment",
    ),
    path(
        "rendez-vous/<int:pk>/reponse/",
        views.appointment_answer,
        name="appointment_answer",
    ),
    path("jurys/", views.session_list, name="session_list"),
    path("jurys/nouvelle/", views.session_create, name="session_create"),
    path("jurys/<int:pk>/", views.session_detail, name="session_detail"),
    path("jurys/<int:pk>/convoquer/", views.session_convoke, name="session_convoke"),
    path("jurys/<int:pk>/ordre-du-jour/", views.session_add_dossier, name="session_add_dossier"),
    path(
        "jurys/<int:pk>/membres/<int:member_pk>/presence/",
        views.session_member_presence,
        name="session_member_presence",
    ),
    path(
        "jurys/<int:pk>/membres/<int:member_pk>/retirer/",
        views.session_member_release,
        name="session_member_release",
    ),
    path(
        "jurys/<int:pk>/membres/<int:member_pk>/reponse/",
        views.session_convocation_answer,
        name="session_convocation_answer",
    ),
    path("jurys/<int:pk>/deplacer/", views.session_reschedule, name="session_reschedule"),
    path("jurys/<int:pk>/ouvrir/", views.session_open, name="session_open"),
    path("jurys/<int:pk>/clore/", views.session_close, name="session_close"),
    path("jurys/<int:pk>/proces-verbal/", views.session_minutes, name="session_minutes"),
    path("jurys/<int:pk>/certificats/", views.session_certificates, name="session_certificates"),
    path(
        "jurys/<int:pk>/certificats.zip",
        views.session_certificates_zip,
        name="session_certificates_zip",
    ),
    path(
        "jurys/<int:pk>/dossiers/<int:dossier_pk>/decision/",
        views.decision_record,
        name="decision_record",
    ),
    path(
        "jurys/<int:pk>/propositions/<int:proposal_pk>/vote/",
        views.proposal_vote,
        name="proposal_vote",
    ),
    path(
        "jurys/<int:pk>/propositions/<int:proposal_pk>/main-levee/",
        views.proposal_show_of_hands,
        name="proposal_show_of_hands",
    ),
    path(
        "jurys/<int:pk>/propositions/<int:proposal_pk>/retrait/",
        views.proposal_withdraw,
        name="proposal_withdraw",
    ),
    path(
        "jurys/<int:pk>/proces-verbal/signature/",
        views.session_minutes_sign,
        name="session_minutes_sign",
    ),
]
