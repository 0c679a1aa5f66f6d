"""The retention policy on a built data set: what goes, what stays, and that a second run does nothing."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessLog
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.services import user_is_anonymised
from audit.models import AuditEvent
from candidates.models import Candidate, DossierHistory, EvidenceFile
from certifications.models import Certificate
from evaluations.models import CapacityResult
from figures.selectors import FigureFilters, compute_figures
from privacy.models import AnonymisedCandidate
from privacy.personal_fields import CANDIDATE_PERSONAL_FIELDS
from privacy.services import retention_apply
from privacy.tasks import apply_retention

pytestmark = pytest.mark.django_db

NOTHING = {
    "evidence_files": 0,
    "notes": 0,
    "candidates": 0,
    "accounts": 0,
    "audit_events": 0,
    "login_records": 0,
}


def _identity(candidate: Candidate) -> dict[str, Any]:
    candidate.refresh_from_db()
    return {name: getattr(candidate, name) for name in CANDIDATE_PERSONAL_FIELDS}


def _verification(client: Any, certificate: Any) -> Any:
    response = client.get(reverse("certifications:verify", args=[certificate.verification_code]))
    assert response.status_code == 200
    return response.content.decode()


def _run(django_capture_on_commit_callbacks: Any, **kwargs: Any) -> dict[str, int]:
    with django_capture_on_commit_callbacks(execute=True):
        return retention_apply(**kwargs)


def test_nothing_is_due_on_the_day_the_data_is_made(
    dataset: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert _run(django_capture_on_commit_callbacks) == NOTHING
    assert EvidenceFile.objects.count() == 4


def test_evidence_goes_months_after_the_end_of_the_path_and_stays_while_under_way(
    dataset: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    names = {key: evidence.file.name for key, evidence in dataset.evidence.items()}
    assert all(default_storage.exists(name) for name in names.values())
    with clock(days=7 * 30):
        report = _run(django_capture_on_commit_callbacks)
    assert report["evidence_files"] == 3
    assert report["candidates"] == 0  # refused and withdrawn, but not for years yet
    assert list(EvidenceFile.objects.values_list("dossier_id", flat=True)) == [
        dataset.in_progress.pk
    ]
    for key, name in names.items():
        assert default_storage.exists(name) is (key == "in_progress"), key


def test_the_run_years_later_anonymises_and_keeps_figures_and_verification(
    dataset: Any, cast: Any, clock: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    figures_before = compute_figures(FigureFilters())
    page_before = _verification(client, dataset.certificate)
    snapshot_before = Certificate.objects.values().get(pk=dataset.certificate.pk)
    awarded_identity = _identity(cast.candidate)
    busy_identity = _identity(dataset.busy_candidate)
    before_run = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    refused_user = dataset.refused_candidate.user
    AccessLog.objects.create(
        username="lea.durand@example.test", ip_address="192.0.2.7", user_agent="Firefox"
    )

    with clock(years=4):
        report = _run(django_capture_on_commit_callbacks)

        # Refused and withdrawn: identity replaced, notes blanked, account closed.
        for candidate in (dataset.refused_candidate, cast.other_candidate):
            identity = _identity(candidate)
            assert identity == {
                name: replace(candidate) for name, replace in CANDIDATE_PERSONAL_FIELDS.items()
            }
            assert AnonymisedCandidate.objects.get(candidate=candidate).reason == "retention"
        for user in (cast.other_candidate_user, refused_user):
            user.refresh_from_db()
            assert user_is_anonymised(user) and not user.is_active
            assert not user.has_usable_password() and user.first_name == user.last_name == ""
        for dossier in (dataset.refused, dataset.withdrawn):
            assert not DossierHistory.objects.filter(dossier=dossier).exclude(comment="").exists()
        assert (
            not CapacityResult.objects.filter(sheet__evaluation__dossier=dataset.refused)
            .exclude(comment="")
            .exists()
        )
        # The jury's reasons stay with its decision.
        assert dataset.refused.decisions.get().reasons.startswith("Le jury estime")
        # The awarded candidate and the one under way keep who they are (the awarded one's
        # unused account goes; the dossier under way keeps its notes and evidence).
        assert _identity(cast.candidate) == {**awarded_identity, "user": None}
        assert _identity(dataset.busy_candidate) == busy_identity
        assert (
            CapacityResult.objects.filter(sheet__evaluation__dossier=dataset.in_progress)
            .exclude(comment="")
            .exists()
        )
        cast.staff_a.refresh_from_db()
        assert not user_is_anonymised(cast.staff_a)  # an active role keeps its account

        # Never broken: the figures, the certificate and its public verification.
        assert compute_figures(FigureFilters()) == figures_before
        assert Certificate.objects.values().get(pk=dataset.certificate.pk) == snapshot_before
        page_after = _verification(client, dataset.certificate)
        holder = snapshot_before["holder_name"]
        assert holder in page_before and holder in page_after
        assert dataset.certificate.number in page_after

    assert report["evidence_files"] == 3
    assert report["candidates"] == 2
    assert report["notes"] > 0
    assert report["accounts"] >= 1  # cast.candidate_user at least, besides the two above
    assert report["audit_events"] > 0
    assert report["login_records"] == 1 and not AccessLog.objects.exists()

    # What it did, in counts: one event for the run, one for the branch.
    run = AuditEvent.objects.filter(pk__gt=before_run)
    national = run.get(action="privacy.retention")
    assert national.details == {**report, "dry_run": False}
    assert national.actor is None and national.branch is None
    branch = run.get(action="privacy.retention_branch")
    assert branch.branch_id == cast.branch_a.pk
    assert branch.details == {"evidence_files": 3, "notes": report["notes"], "candidates": 2}
    # The older events keep what happened, not the people's details.
    old = AuditEvent.objects.filter(pk__lte=before_run)
    assert not old.filter(redacted_at__isnull=True).exists()
    assert not old.exclude(ip_address=None).exists() and not old.exclude(user_agent="").exists()
    assert old.filter(action="dossier.transition", details__to="withdrawn").exists()
    assert not old.filter(details__has_key="reason").exists()


def test_a_second_run_does_nothing(
    dataset: Any, cast: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with clock(years=4):
        _run(django_capture_on_commit_callbacks)
        identities = {c.pk: _identity(c) for c in Candidate.objects.all()}
        events = list(AuditEvent.objects.values())
        assert _run(django_capture_on_commit_callbacks) == NOTHING
        assert {c.pk: _identity(c) for c in Candidate.objects.all()} == identities
        # Only the second run's own event is new; none was changed.
        assert list(AuditEvent.objects.exclude(action="privacy.retention").values()) == [
            e for e in events if e["action"] != "privacy.retention"
        ]


def test_a_dry_run_counts_and_changes_nothing(
    dataset: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    names = [evidence.file.name for evidence in dataset.evidence.values()]
    with clock(years=4):
        report = _run(django_capture_on_commit_callbacks, dry_run=True)
    assert report["evidence_files"] == 3 and report["candidates"] == 2
    assert EvidenceFile.objects.count() == 4
    assert all(default_storage.exists(name) for name in names)
    assert not AnonymisedCandidate.objects.exists()
    assert not AuditEvent.objects.filter(redacted_at__isnull=False).exists()


@override_settings(RETENTION_CLOSED_DOSSIER_YEARS=10)
def test_the_years_come_from_the_settings(
    dataset: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with clock(years=4):
        assert _run(django_capture_on_commit_callbacks)["candidates"] == 0


def test_the_command_and_the_beat_task_run_the_same_service(
    dataset: Any, clock: Any, capsys: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["apply-retention-policy"]["task"] == apply_retention.name
    with clock(years=4), django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention", "--dry-run")
        assert "2 candidates anonymised" in capsys.readouterr().out
        assert not AnonymisedCandidate.objects.exists()
        assert apply_retention.apply().get()["candidates"] == 2
        call_command("apply_retention")
        assert "0 candidates anonymised" in capsys.readouterr().out


def test_evidence_is_deleted_in_batches_to_the_last(
    dataset: Any, clock: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr("privacy.services.BATCH", 2)
    with clock(days=7 * 30):
        assert _run(django_capture_on_commit_callbacks)["evidence_files"] == 3
    assert EvidenceFile.objects.count() == 1


def test_the_descriptions_of_a_dossier_of_evidence_go_with_the_evidence(
    cast: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from candidates import services as dossier_services
    from candidates.models import AccessRoute, EvidenceStatement
    from certifications.models import Capacity
    from tests.workflow import open_dossier

    ended = open_dossier(cast, route=AccessRoute.VAE)
    under_way = open_dossier(cast, candidate=cast.other_candidate, route=AccessRoute.VAE)
    for dossier, user in ((ended, cast.candidate_user), (under_way, cast.other_candidate_user)):
        capacity = Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by("pk")[0]
        dossier_services.evidence_statement_save(
            dossier=dossier, capacity=capacity, text="Mes tournées", by=user
        )
    dossier_services.dossier_withdraw(dossier=ended, by=cast.staff_a, comment="Départ")

    with clock(days=7 * 30):
        _run(django_capture_on_commit_callbacks)

    assert list(
        EvidenceStatement.objects.values_list("evidence_dossier__dossier_id", flat=True)
    ) == [under_way.pk]
