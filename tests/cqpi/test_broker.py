"""The embedded broker (cqpi/broker.py): messages appear whole and are taken exactly once."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection
from kombu.transport import virtual

from cqpi import broker

PUBLISHERS = 4
PER_PUBLISHER = 750
CONSUMERS = 2
TRANSPORT = broker.Transport


@pytest.fixture(autouse=True)
def fresh_broker_state(monkeypatch: pytest.MonkeyPatch) -> None:
    # The transport keeps its bindings process-wide; each test has its own folders.
    monkeypatch.setattr(broker.Transport, "global_state", virtual.BrokerState())


def options(folder: Path, **extra: Any) -> dict[str, Any]:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.01,
        **extra,
    }


def connect(folder: Path) -> Connection:
    return Connection("filesystem://", transport=TRANSPORT, transport_options=options(folder))


def publish(folder: str, publisher: int) -> None:
    with connect(Path(folder)) as conn, conn.SimpleQueue("load") as queue:
        for n in range(PER_PUBLISHER):
            queue.put({"id": f"{publisher}-{n}"})


def consume(folder: str, consumer: int, done: Any) -> None:
    received: list[str] = []
    with connect(Path(folder)) as conn, conn.SimpleQueue("load") as queue:
        while True:
            try:
                message = queue.get(block=True, timeout=0.5)
            except queue.Empty:
                if done.is_set():
                    # Publishers have finished: one last empty look means drained.
                    try:
                        message = queue.get(block=True, timeout=1)
                    except queue.Empty:
                        break
                else:
                    continue
            received.append(message.payload["id"])
            message.ack()
    (Path(folder) / f"consumer-{consumer}.json").write_text(json.dumps(received))


@pytest.mark.timeout(240)
def test_concurrent_publishers_and_consumers_lose_nothing_and_deliver_each_message_once(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("fork")
    done = context.Event()
    consumers = [
        context.Process(target=consume, args=(str(tmp_path), c, done)) for c in range(CONSUMERS)
    ]
    publishers = [
        context.Process(target=publish, args=(str(tmp_path), p)) for p in range(PUBLISHERS)
    ]
    for process in consumers + publishers:
        process.start()
    for process in publishers:
        process.join(timeout=180)
    done.set()
    for process in consumers:
        process.join(timeout=60)

    assert [p.exitcode for p in publishers + consumers] == [0] * (PUBLISHERS + CONSUMERS)
    received: list[str] = []
    for c in range(CONSUMERS):
        received += json.loads((tmp_path / f"consumer-{c}.json").read_text())
    expected = {f"{p}-{n}" for p in range(PUBLISHERS) for n in range(PER_PUBLISHER)}
    assert len(received) == len(expected), "a message was lost or delivered twice"
    assert set(received) == expected
    assert os.listdir(tmp_path / "queue") == []


def test_a_message_being_written_is_invisible_to_consumers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_while_writing: list[list[str]] = []
    real_replace = os.replace

    def replace_after_looking(source: str, target: str) -> None:
        # The moment kombu's own transport would have a half-written *.msg in the folder.
        seen_while_writing.append(sorted(os.listdir(tmp_path / "queue")))
        with (
            connect(tmp_path) as other,
            other.SimpleQueue("load") as queue,
            pytest.raises(queue.Empty),
        ):
            queue.get(block=False)
        real_replace(source, target)

    monkeypatch.setattr(broker.os, "replace", replace_after_looking)
    with connect(tmp_path) as conn, conn.SimpleQueue("load") as queue:
        queue.put({"id": "whole"})
        monkeypatch.undo()
        message = queue.get(block=True, timeout=2)
        assert message.payload == {"id": "whole"}
        message.ack()
    [listing] = seen_while_writing
    assert len(listing) == 1
    assert listing[0].startswith(".") and listing[0].endswith(".load.msg.tmp")


def test_a_message_claimed_by_another_consumer_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect(tmp_path) as conn, conn.SimpleQueue("load") as queue:
        queue.put({"id": "first"})
        queue.put({"id": "second"})
        oldest = sorted(os.listdir(tmp_path / "queue"))[0]
        real_listdir = os.listdir

        def listdir_then_lose_the_race(path: str) -> list[str]:
            # Another consumer claims the oldest message between our listing and our rename.
            names = real_listdir(path)
            if oldest in names:
                os.rename(tmp_path / "queue" / oldest, tmp_path / "stolen")
            return names

        monkeypatch.setattr(os, "listdir", listdir_then_lose_the_race)
        message = queue.get(block=False)
        monkeypatch.undo()
        # The consumer skipped the message taken from under it and delivered the other one
        # (which is "first" or "second" depends on their names' order within one instant).
        stolen = stolen_payload(tmp_path / "stolen")
        assert {message.payload["id"], stolen["id"]} == {"first", "second"}
        message.ack()
        assert os.listdir(tmp_path / "queue") == []


def stolen_payload(path: Path) -> dict[str, str]:
    """The body of a message file as kombu's filesystem transport writes it."""
    envelope = json.loads(path.read_text(encoding="utf-8"))
    body = envelope["body"]
    if envelope.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body).decode("utf-8")
    return json.loads(body)
