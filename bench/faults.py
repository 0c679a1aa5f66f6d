"""Kill trials at scale: a 200-certificate jury session per trial, its worker SIGKILLed at a random
moment and restarted, then every certificate counted (expected, lost, duplicated, unreadable).

Runs tests/faults/test_worker_killed.py with FAULTS_KILL_SIZE/FAULTS_KILL_TRIALS on PostgreSQL
(the local server, a test database of its own) and a throwaway Redis, and prints the totals
that docs/RELIABILITY.md reports:
    .venv/bin/python bench/faults.py [TRIALS] [SIZE]      # defaults: 50 trials of 200
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    trials = int(argv[0]) if argv else 50
    size = int(argv[1]) if len(argv) > 1 else 200
    report = Path(tempfile.mkdtemp(prefix="cqpi-faults-bench-")) / "trials.json"
    env = {
        **os.environ,
        "FAULTS_KILL_TRIALS": str(trials),
        "FAULTS_KILL_SIZE": str(size),
        "FAULTS_REPORT": str(report),
        "TEST_DATABASE_NAME": os.environ.get("TEST_DATABASE_NAME", "test_cqpi_faults_bench"),
    }
    command = [
        str(ROOT / ".venv" / "bin" / "pytest"),
        "tests/faults/test_worker_killed.py",
        *("-q", "-x", "-s", "-p", "no:cacheprovider", "-o", "timeout=0"),
    ]
    code = subprocess.call(command, cwd=ROOT, env=env)
    results = json.loads(report.read_text()) if report.exists() else []
    totals = {
        key: sum(r[key] for r in results)
        for key in ("expected", "ready", "lost", "duplicated", "duplicate_numbers")
    }
    totals["unreadable_or_wrong_holder"] = sum(r["unreadable"] + r["wrong_holder"] for r in results)
    totals["orphan_files"] = sum(r["orphan_files"] for r in results)
    print(f"trials completed: {len(results)} of {trials}, {size} certificates each")
    print(json.dumps(totals, indent=2))
    if results:
        recovered = sorted(r["recovered_s"] for r in results)
        print(
            f"recovery after restart: median {recovered[len(recovered) // 2]} s, max {recovered[-1]} s"
        )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "faults.json").write_text(json.dumps({"totals": totals, "trials": results}, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
