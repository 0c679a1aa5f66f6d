"""Certificate numbers under concurrency: decisions recorded at the same moment never share one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, transaction

from branches.services import counter_next
from certifications import tasks
from certifications.models import Certificate
from evaluations.models import JurySession, Outcome
from sampledata.jury import jury_decides
from tests.factories import CandidateFactory
from tests.workflow import open_session, ready_for_jury

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def run_at_once(work: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run each callable in its own thread (its own database connection), all released together."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            value = job()
            with lock:
                results.append(value)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def sequence_numbers(numbers: list[str]) -> list[int]:
    return sorted(int(number.rsplit("-", 1)[1]) for number in numbers)


def test_decisions_recorded_at_once_get_distinct_consecutive_numbers(cast, monkeypatch):
    monkeypatch.setattr(tasks, "render_certificate", SimpleNamespace(delay=lambda pk: None))
    candidates = [CandidateFactory.create(branch=cast.branch_a) for _ in range(THREADS)]
    dossiers = [ready_for_jury(cast, candidate=candidate) for candidate in candidates]
    session = open_session(cast, dossiers)

    def decide(dossier: Any) -> Callable[[], Any]:
        return lambda: jury_decides(
            session=JurySession.objects.get(pk=session.pk),
            dossier=dossier,
            outcome=Outcome.AWARD,
            by=cast.jury_employer,
        )

    decisions, errors = run_at_once([decide(dossier) for dossier in dossiers])
    assert errors == []
    assert len(decisions) == THREADS
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == THREADS
    assert sequence_numbers(numbers) == list(range(1, THREADS + 1))
    assert {c.decision_id for c in Certificate.objects.all()} == {d.pk for d in decisions}


def test_counter_next_from_threads_gives_distinct_values(cast):
    def take() -> int:
        with transaction.atomic():
            return counter_next(branch=cast.branch_a, kind="concurrency-test", year=2030)

    values, errors = run_at_once([take for _ in range(8)])
    assert errors == []
    assert sorted(values) == list(range(1, 9))
