"""A worker SIGKILLed mid-session: after its restart every decision has exactly one certificate.

FAULTS_KILL_SIZE (default 60, to stay within CI's time) and FAULTS_KILL_TRIALS (default 1)
scale it up; bench/faults.py runs it at 200 certificates × many trials and writes the counts.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from tests.faults.kill import SWEEP_SECONDS, kill_trial

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SIZE = int(os.environ.get("FAULTS_KILL_SIZE", "60"))
TRIALS = int(os.environ.get("FAULTS_KILL_TRIALS", "1"))
GRACE_SECONDS = max(10, SIZE // 6)


def test_a_worker_killed_mid_session_loses_and_doubles_no_certificate(cast, make_worker, media):
    worker = make_worker(
        beat=True,
        extra_env={
            "CERTIFICATE_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "CERTIFICATE_PENDING_GRACE_SECONDS": str(GRACE_SECONDS),
        },
    )
    worker.start()
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    results: list[dict[str, Any]] = []
    report = os.environ.get("FAULTS_REPORT")
    for trial in range(TRIALS):
        result = kill_trial(
            cast,
            worker,
            size=SIZE,
            tag=f"{trial:03d}",
            media=media,
            rng=rng,
            recovery_seconds=GRACE_SECONDS + SIZE + 60,
        )
        results.append({"trial": trial, "seed": seed, **result.as_dict()})
        if report:
            Path(report).write_text(json.dumps(results, indent=2))
        print(json.dumps(results[-1]), flush=True)
        assert result.ready_when_killed < SIZE, "killed after the session was rendered"
        assert result.lost == 0, result.problems
        assert result.duplicated == 0 and result.duplicate_numbers == 0, result.problems
        assert result.unreadable == 0 and result.wrong_holder == 0, result.problems
        assert result.orphan_files == 0, "a killed attempt's file was kept beside the new one"
        assert result.ready == result.expected == SIZE
