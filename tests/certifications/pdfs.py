"""Helpers of the PDF tests: read a PDF's text, count requests to a loopback canary, decide
a partial validation through the real services."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pypdf import PdfReader

from certifications.models import Capacity
from evaluations.models import Outcome
from sampledata.jury import jury_decides
from tests.workflow import open_session, ready_for_jury


def pdf_reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    """The text of every page, with line breaks turned into spaces (layout wraps lines)."""
    text = "\n".join(page.extract_text() or "" for page in pdf_reader(data).pages)
    return " ".join(text.split())


def stored_pdf(certificate: Any) -> bytes:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as handle:
        return handle.read()


@dataclass
class Canary:
    """A loopback HTTP server that records every request made to it."""

    port: int
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@contextmanager
def canary_server() -> Iterator[Canary]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            hits.append(f"{self.command} {self.path}")
            body = b"canary"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _record

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Canary(port=server.server_address[1], hits=hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def hostile_markup(canary: Canary) -> list[str]:
    """Values a hostile user might type, each trying to make the renderer fetch something."""
    return [
        f'<img src="{canary.url("img")}">',
        f'<link rel=stylesheet href="{canary.url("css")}">',
        f"<style>@import url({canary.url('imp')})</style>",
        "file:///etc/passwd",
        '<img src="file:///etc/passwd">',
        f'<object data="{canary.url("object")}"></object>',
    ]


def decide_partial(cast: Any, *, validated_codes: set[str], candidate: Any = None) -> Any:
    """A dossier decided 'validation partielle' for the capacities whose codes are given."""
    dossier = ready_for_jury(cast, candidate=candidate)
    session = open_session(cast, [dossier])
    capacities = Capacity.objects.filter(bloc__version=cast.version)
    validated = {c.pk for c in capacities if c.code in validated_codes}
    return jury_decides(
        session=session,
        dossier=dossier,
        outcome=Outcome.PARTIAL,
        validated_capacity_ids=validated,
        override_reasons={c.pk: "Non démontrée" for c in capacities if c.pk not in validated},
        reasons="Validation partielle : poursuivre la formation.",
        by=cast.jury_employer,
    )
