"""The Celery app's queues: documents are rendered before the emails queued beside them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kombu import Connection, Consumer

from cqpi.celery import app

RENDER = "certifications.tasks.render_certificate"
MINUTES = "evaluations.tasks.render_minutes"
EMAILS = [
    "certifications.tasks.email_certificate_ready",
    "evaluations.tasks.email_decision_recorded",
    "evaluations.tasks.email_sheet_submitted",
]


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_pdfs_go_to_the_documents_queue_and_the_rest_to_the_default_one() -> None:
    assert queue_of(RENDER) == "documents"
    assert queue_of(MINUTES) == "documents"
    assert {queue_of(name) for name in EMAILS} == {"celery"}
    assert queue_of("certifications.tasks.sweep_pending_certificates") == "celery"


def test_a_worker_without_options_consumes_both_queues_documents_first() -> None:
    assert list(app.amqp.queues.consume_from) == ["documents", "celery"]


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_on_redis_waiting_renders_are_delivered_before_waiting_emails() -> None:
    # Keys of their own, so nothing else on this Redis is read or left behind.
    prefix = f"cqpi-test-{uuid.uuid4().hex}:"
    options = {**app.conf.broker_transport_options, "global_keyprefix": prefix}
    delivered: list[str] = []

    def on_message(body: Any, message: Any) -> None:
        delivered.append(message.headers["task"])
        message.ack()

    with Connection(app.conf.broker_url, transport_options=options) as connection:
        # Interleaved as when a session closes: each decision's email beside its render.
        for number, email in enumerate(EMAILS):
            app.send_task(email, args=[number], connection=connection)
            app.send_task(RENDER, args=[number], connection=connection)
        queues = [queue(connection) for queue in app.amqp.queues.consume_from.values()]
        with Consumer(connection, queues=queues, callbacks=[on_message], accept=["json"]) as c:
            c.qos(prefetch_count=1)
            while len(delivered) < 2 * len(EMAILS):
                connection.drain_events(timeout=5)
            for queue in queues:
                queue.delete()

    assert delivered == [RENDER] * len(EMAILS) + EMAILS
