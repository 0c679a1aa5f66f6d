"""Fixtures of the fault-injection tests: a Redis server of their own, a worker to kill."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.support import ThrowawayRedis, Worker, broker, scratch_dir, test_database_url


@pytest.fixture
def own_redis() -> Iterator[ThrowawayRedis]:
    """A throwaway redis-server: these tests stop it, so never the shared one."""
    workdir = scratch_dir("cqpi-faults-redis-")
    server = ThrowawayRedis(workdir)
    server.start()
    try:
        with broker(server.url):
            yield server
    finally:
        server.stop() if server.answers() else None
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    settings.MEDIA_ROOT = folder
    return folder


@pytest.fixture
def make_worker(cast: Any, own_redis: ThrowawayRedis, media: Path, tmp_path: Path) -> Iterator[Any]:
    """Builds workers on this test's database, media folder and Redis; stops them at the end.

    Depends on `cast` so that the workers stop before the test database is flushed.
    """
    workers: list[Worker] = []

    def make(**options: Any) -> Worker:
        worker = Worker(
            broker_url=own_redis.url,
            database_url=test_database_url(),
            media=media,
            log=tmp_path / f"worker-{len(workers)}.log",
            **options,
        )
        workers.append(worker)
        return worker

    try:
        yield make
    finally:
        for worker in workers:
            worker.stop()
