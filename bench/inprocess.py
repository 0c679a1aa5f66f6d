"""Profile one bench page in process: the same settings and data as `bench/web.py`, no server.

    BENCH_DATABASE_URL=... .venv/bin/python bench/inprocess.py list [--runs 50] [--pyinstrument]

Prints each page's mean and median time per request (CPU-bound, one process) and its query
count; with --pyinstrument (installed separately, e.g. `pip install --target /tmp/prof
pyinstrument` and PYTHONPATH=/tmp/prof) the call tree of the last runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import web

    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", help="page keys; all when none")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--cprofile", action="store_true", help="cProfile, top functions")
    parser.add_argument("--sql", action="store_true", help="print each query and its time")
    args = parser.parse_args()

    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cqpi_bench"
    )
    env = web.bench_env(database_url)
    env["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.update(env)
    web.manage(env, "collectstatic", "--no-input", "-v", "0")
    targets = web.shell(env, web.TARGETS_CODE)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    def client_for(email: str | None) -> Client:
        client = Client()
        if email:
            client.force_login(User.objects.get(email=email))
        return client

    staff = client_for(targets["staff"])
    evaluator = client_for(targets["evaluator"])
    coc = client_for(targets["coc"])
    anonymous = client_for(None)
    pages: dict[str, tuple[str, Client]] = {
        key: (path, {"staff": staff, "evaluator": evaluator, "coc": coc, None: anonymous}[who])
        for key, path, who in web.bench_pages(targets)
    }
    chosen = args.pages or list(pages)
    queries: list[float] = []
    statements: list[str] = []
    for key in chosen:
        path, client = pages[key]
        response = client.get(path)
        assert response.status_code == 200, (key, response.status_code)
        queries.clear()
        statements.clear()

        def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append((time.perf_counter() - start) * 1000)
                statements.append(sql)

        with connection.execute_wrapper(timed):
            client.get(path)
        times: list[float] = []
        cpu: list[float] = []
        profiler: Any = None
        for run in range(args.runs):
            if args.pyinstrument and run == args.runs // 2:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                profiler.start()
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        if profiler is not None:
            profiler.stop()
        if args.cprofile:
            import cProfile
            import pstats

            cprofile = cProfile.Profile()
            cprofile.enable()
            for _ in range(args.runs):
                client.get(path)
            cprofile.disable()
            stats = pstats.Stats(cprofile)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(60)
        print(
            f"{key:12} {urllib.parse.unquote(path)[:50]:50} mean {statistics.mean(times):6.1f} ms"
            f"  median {statistics.median(times):6.1f} ms  CPU {statistics.median(cpu):6.1f} ms"
            f"  {len(queries)} queries"
            f" ({sum(queries):.1f} ms)",
            flush=True,
        )
        if args.sql:
            for took, sql in zip(queries, statements, strict=True):
                print(f"    {took:7.1f} ms  {sql[:300]}")
        if profiler is not None:
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
