"""What the audit trail records: authentication, refusals and every change, without secrets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.test import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from candidates import services as dossier_services
from certifications import services as certificate_services
from tests.factories import DossierFactory
from tests.workflow import award, open_dossier

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PASSWORD = "secret-password-123"


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- Authentication -----------------------------------------------------------------


def test_a_login_is_recorded_with_who_and_from_where(client: Any, cast: Any) -> None:
    client.post(
        LOGIN,
        {"username": "staff.a@example.test", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT="Navigateur/1.0",
    )

    (event,) = events("auth.login")
    assert event.actor == cast.staff_a
    assert event.actor_label == "staff.a@example.test"
    assert event.ip_address == "198.51.100.4"
    assert event.user_agent == "Navigateur/1.0"
    assert event.path == LOGIN


def test_a_failed_login_keeps_the_attempted_email_but_never_the_password(
    client: Any, cast: Any
) -> None:
    client.post(LOGIN, {"username": "staff.a@example.test", "password": "Tr0ub4dor&3"})

    (event,) = events("auth.login_failed")
    assert event.actor is None
    assert event.details == {"username": "staff.a@example.test"}
    stored = json.dumps([e.details for e in AuditEvent.objects.all()])
    assert "Tr0ub4dor" not in stored
    assert "********" not in stored


def test_a_lockout_is_recorded(client: Any, cast: Any) -> None:
    for n in range(5):
        client.post(
            LOGIN,
            {"username": "staff.a@example.test", "password": "wrong"},
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )

    (event,) = events("auth.lockout")
    assert event.details["username"] == "staff.a@example.test"


def test_the_forwarded_address_is_ignored_unless_a_trusted_proxy_is_declared(
    client: Any, cast: Any
) -> None:
    client.post(
        LOGIN,
        {"username": "staff.a@example.test", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert events("auth.login")[0].ip_address == "10.0.0.2"


@override_settings(AUDIT_TRUST_X_FORWARDED_FOR=True)
def test_behind_a_trusted_proxy_the_forwarded_address_is_recorded(client: Any, cast: Any) -> None:
    client.post(
        LOGIN,
        {"username": "staff.a@example.test", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2",
    )

    assert events("auth.login")[0].ip_address == "203.0.113.9"


# --- Refused access ------------------------------------------------------------------


def test_a_403_is_recorded_as_a_refusal(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)

    response = client.get(reverse("candidates:dossier_list"))

    assert response.status_code == 403
    (event,) = events("access.denied")
    assert event.actor == cast.candidate_user
    assert event.details == {"status": 403}
    assert event.path == reverse("candidates:dossier_list")


def test_another_branchs_object_refused_by_404_is_recorded(client: Any, cast: Any) -> None:
    dossier: Any = DossierFactory.create(candidate__branch=cast.branch_b, version=cast.version)
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:dossier_detail", args=[dossier.pk]))

    assert response.status_code == 404
    (event,) = events("access.denied")
    assert event.actor == cast.staff_a
    assert event.details == {"status": 404}


def test_an_anonymous_404_is_not_a_refusal(client: Any) -> None:
    client.get("/nulle-part/")

    assert not events("access.denied")


# --- Changes -------------------------------------------------------------------------


def test_a_dossier_transition_records_who_what_and_the_branch(cast: Any) -> None:
    dossier = open_dossier(cast)

    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)

    (event,) = events("dossier.transition")
    assert event.actor == cast.staff_a
    assert event.branch == cast.branch_a
    assert (event.object_type, event.object_id) == ("candidates.dossier", str(dossier.pk))
    assert event.details == {"from": "open", "to": "positioning"}


def test_evaluation_grids_decision_and_certificate_are_recorded(cast: Any) -> None:
    decision = award(cast)

    recorded = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "dossier.open",
        "evaluation.assign",
        "sheet.save",
        "sheet.submit",
        "session.create",
        "session.add_dossier",
        "session.open",
        "proposal.put",
        "proposal.vote",
        "proposal.adopted",
        "decision.record",
        "certificate.issue",
    } <= recorded
    (issued,) = events("certificate.issue")
    assert issued.branch_id == decision.dossier.branch_id
    # The vote that completed the tally issued the certificate: the last member to vote.
    assert issued.actor == cast.jury_employee == decision.recorded_by


def test_a_revocation_is_recorded(cast: Any) -> None:
    certificate = award(cast).certificates.get()

    certificate_services.certificate_revoke(
        certificate=certificate, reason="Fraude", by=cast.staff_a
    )

    (event,) = events("certificate.revoke")
    assert event.object_id == str(certificate.pk)
    assert event.details["reason"] == "Fraude"


def test_a_change_rolled_back_leaves_no_event(cast: Any) -> None:
    dossier = open_dossier(cast)

    with pytest.raises(RuntimeError), transaction.atomic():
        dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
        raise RuntimeError

    assert not events("dossier.transition")


def test_details_never_keep_a_password_or_a_token(cast: Any) -> None:
    event = audit_record(
        "test.action", actor=cast.staff_a, details={"password": "x", "api_token": "y", "n": 1}
    )

    assert event.details == {"n": 1}


def test_an_event_is_never_changed_nor_deleted(cast: Any) -> None:
    event = audit_record("test.action", actor=cast.staff_a)

    event.action = "other"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ProtectedError):
        event.delete()
    with pytest.raises(ProtectedError):
        AuditEvent.objects.all().delete()
