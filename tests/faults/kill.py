"""One kill trial: a jury session's certificates rendered by a worker SIGKILLed mid-render,
restarted, and then counted (expected, lost, duplicated, unreadable)."""

from __future__ import annotations

import io
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from pypdf import PdfReader

from certifications.models import Certificate, RenderStatus
from core.text import person_name
from evaluations.models import Decision, Outcome
from sampledata.jury import jury_decides
from tests.factories import CandidateFactory
from tests.faults.support import Worker, wait_until
from tests.workflow import open_session, ready_for_jury

# Beat sweeps every SWEEP_SECONDS for certificates pending longer than GRACE_SECONDS: the
# tasks a killed worker had taken stay in Redis's "unacked" set for the visibility timeout
# (an hour), so after a kill it is the sweep that sends them again.
SWEEP_SECONDS = 2


@dataclass
class TrialResult:
    size: int
    kill_target: int
    kill_after_s: float
    ready_when_killed: int
    expected: int = 0
    ready: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicate_numbers: int = 0
    unreadable: int = 0
    wrong_holder: int = 0
    orphan_files: int = 0
    recovered_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def prepare_session(cast: Any, *, size: int, tag: str) -> tuple[Any, list[Any]]:
    """An open session of `size` dossiers ready for the jury, each with a distinct holder."""
    dossiers = [
        ready_for_jury(
            cast,
            candidate=CandidateFactory.create(
                branch=cast.branch_a, first_name=f"Candidat{i:03d}", last_name=f"Essai{tag}"
            ),
        )
        for i in range(size)
    ]
    return open_session(cast, dossiers), dossiers


def award_all(cast: Any, session: Any, dossiers: list[Any]) -> None:
    """The jury's decisions, committed together as at the close of a session: the renders
    are sent to the broker when this commits."""
    with transaction.atomic():
        for dossier in dossiers:
            jury_decides(
                session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer
            )


def count(session: Any, dossiers: list[Any], result: TrialResult) -> TrialResult:
    """Exactly one ready certificate per decision, unique numbers, each PDF naming its holder."""
    decisions = list(Decision.objects.filter(session=session).select_related("dossier__candidate"))
    result.expected = len(dossiers)
    if len(decisions) != len(dossiers):
        result.problems.append(f"{len(decisions)} decisions for {len(dossiers)} dossiers")
    per_decision = Counter(
        Certificate.objects.filter(decision__session=session).values_list("decision_id", flat=True)
    )
    numbers = Counter(Certificate.objects.values_list("number", flat=True))
    result.duplicate_numbers = sum(n - 1 for n in numbers.values() if n > 1)
    for decision in decisions:
        found = per_decision.get(decision.pk, 0)
        if found == 0:
            result.lost += 1
            continue
        if found > 1:
            result.duplicated += found - 1
        certificate = Certificate.objects.filter(decision=decision).order_by("pk").first()
        assert certificate is not None
        if certificate.render_status != RenderStatus.READY or not certificate.pdf:
            result.lost += 1
            result.problems.append(f"{certificate.number}: {certificate.render_status}")
            continue
        result.ready += 1
        candidate = decision.dossier.candidate
        try:
            with certificate.pdf.open("rb") as handle:
                reader = PdfReader(io.BytesIO(handle.read()))
                text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
        except Exception as exc:
            result.unreadable += 1
            result.problems.append(f"{certificate.number}: {type(exc).__name__}: {exc}")
            continue
        # The holder as the document prints them ("Prénom NOM", core.text.person_name).
        if person_name(candidate.first_name, candidate.last_name) not in text or (
            certificate.number not in text
        ):
            result.wrong_holder += 1
            result.problems.append(f"{certificate.number}: holder or number missing")
    return result


def kill_trial(
    cast: Any,
    worker: Worker,
    *,
    size: int,
    tag: str,
    media: Path,
    rng: random.Random,
    recovery_seconds: float,
) -> TrialResult:
    """Award `size` dossiers with the worker running, SIGKILL its whole process group after a
    random delay (while renders are under way), restart it and wait for every certificate."""
    session, dossiers = prepare_session(cast, size=size, tag=tag)
    ids_before = set(Certificate.objects.values_list("pk", flat=True))
    pdfs_before = {p.resolve() for p in media.rglob("*.pdf")}
    award_all(cast, session, dossiers)
    certificates = Certificate.objects.filter(decision__session=session)
    # Kill at a random point of the session: after a random number of renders (1 to 80 %),
    # plus a random fraction of a render so the kill lands anywhere inside one.
    target = rng.randint(1, max(1, int(size * 0.8)))
    wait_until(
        lambda: certificates.filter(render_status=RenderStatus.READY).count() >= target,
        seconds=120,
        what=f"{target} renders",
        log=worker.log,
    )
    delay = rng.uniform(0.0, 0.3)
    time.sleep(delay)
    worker.kill()
    result = TrialResult(
        size=size,
        kill_target=target,
        kill_after_s=round(delay, 2),
        ready_when_killed=certificates.filter(render_status=RenderStatus.READY).count(),
    )
    started = time.monotonic()
    worker.start()
    wait_until(
        lambda: certificates.filter(render_status=RenderStatus.READY).count() >= size,
        seconds=recovery_seconds,
        what=f"all {size} certificates after the restart",
        log=worker.log,
    )
    result.recovered_s = round(time.monotonic() - started, 1)
    assert not (set(certificates.values_list("pk", flat=True)) & ids_before)
    count(session, dossiers, result)
    this_trial = {p.resolve() for p in media.rglob("*.pdf")} - pdfs_before
    referenced = {
        Path(settings.MEDIA_ROOT, c.pdf.name).resolve() for c in certificates.exclude(pdf="")
    }
    result.orphan_files = len(this_trial - referenced)
    return result
