"""French labels of the audit actions, for the trail's page and filters."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "auth.login": _("Connexion"),
    "auth.logout": _("Déconnexion"),
    "auth.login_failed": _("Échec de connexion"),
    "auth.lockout": _("Compte bloqué après des échecs"),
    "access.denied": _("Accès refusé"),
    "candidate.create": _("Candidat enregistré"),
    "dossier.open": _("Dossier ouvert"),
    "dossier.transition": _("Dossier : changement de statut"),
    "evidence.add": _("Pièce déposée"),
    "evidence.download": _("Pièce téléchargée"),
    "evaluation.assign": _("Évaluation confiée"),
    "sheet.save": _("Grille enregistrée"),
    "sheet.submit": _("Grille transmise"),
    "session.create": _("Session de jury créée"),
    "session.convoke": _("Membre du jury convoqué"),
    "session.presence": _("Présence d'un membre du jury"),
    "session.add_dossier": _("Dossier inscrit à un jury"),
    "session.open": _("Session de jury ouverte"),
    "session.close": _("Session de jury close"),
    "decision.record": _("Décision du jury"),
    "certificate.issue": _("Certificat délivré"),
    "certificate.revoke": _("Certificat révoqué"),
    "certificate.reissue": _("Certificat réédité"),
    "certificate.mark_reported": _("Certificats déclarés"),
    "branch.change": _("Branche modifiée"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))
