"""PDF rendering with WeasyPrint, sealed off from the network and the filesystem.

Every document (certificate, attestation, procès-verbal) is rendered by `render_pdf`,
whose URL fetcher serves only the project's own static files and `data:` URLs, as PDF/A-3b;
the electronic seal is applied afterwards (sealing.py).
"""

from __future__ import annotations

import datetime
import functools
import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import (
    FatalURLFetchingError,
    URLFetcher,
    URLFetcherResponse,
    URLFetchingError,
)

from core.qr import qr_data_uri

# WeasyPrint cannot resolve relative URLs against a custom scheme (urljoin leaves
# them relative), so templates and stylesheets use absolute `cqpi-static:` URLs.
STATIC_SCHEME_PREFIX = "cqpi-static:"


class PDFAssetMissing(RuntimeError):
    """A `cqpi-static:` asset named by one of our templates does not exist: a bug, not content."""


class _FatalMissingAsset(FatalURLFetchingError):
    # WeasyPrint swallows every Exception raised by a fetcher (the resource is skipped);
    # only a FatalURLFetchingError stops the render, and render_pdf turns it back
    # into an ordinary exception for the caller.
    pass


def _static_roots() -> tuple[Path, ...]:
    roots = []
    for entry in settings.STATICFILES_DIRS:
        directory = entry[1] if isinstance(entry, (tuple, list)) else entry
        roots.append(Path(directory).resolve())
    return tuple(roots)


class _NotFound(LookupError):
    pass


@functools.lru_cache(maxsize=64)
def _read_static(relative: str, roots: tuple[Path, ...]) -> tuple[bytes, str]:
    """The bytes and MIME type of a project static file (raises `_NotFound`, never cached).

    Cached: the worker renders the same stylesheet and emblem for every document.
    """
    for root in roots:
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise URLFetchingError("static path escapes the project's static folder")
        if path.is_file():
            mime, _ = mimetypes.guess_type(path.name)
            return path.read_bytes(), mime or "application/octet-stream"
    raise _NotFound(relative)


class ProjectStaticFetcher(URLFetcher):
    """Resolves `cqpi-static:<path>` to the project's static files and lets `data:` through;
    refuses everything else (http, https, file, ftp, …) without touching the network.

    A refused URL raises `URLFetchingError`, so WeasyPrint skips that resource and renders
    the rest; a well-formed `cqpi-static:` URL naming a missing file stops the render.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(STATIC_SCHEME_PREFIX):
            return self._static(url[len(STATIC_SCHEME_PREFIX) :])
        if urlsplit(url).scheme.lower() == "data":
            return super().fetch(url, headers)
        raise URLFetchingError(f"blocked URL in PDF rendering: {url[:80]!r}")

    def _static(self, raw: str) -> URLFetcherResponse:
        relative = unquote(raw.split("?", 1)[0].split("#", 1)[0])
        parts = PurePosixPath(relative).parts
        if (
            not relative
            or relative.startswith(("/", "\\"))
            or "\\" in relative
            or "\x00" in relative
            or ".." in parts
        ):
            raise URLFetchingError(f"refused static path: {relative[:80]!r}")
        # Cached in production; read afresh in development, where the stylesheet is being edited.
        read = _read_static.__wrapped__ if settings.DEBUG else _read_static
        try:
            body, mime = read(relative, _static_roots())
        except _NotFound:
            raise _FatalMissingAsset(f"no such static file: {relative[:80]!r}") from None
        return URLFetcherResponse(
            url=f"{STATIC_SCHEME_PREFIX}{relative}", body=body, headers={"Content-Type": mime}
        )


def _layout(html: str) -> Document:
    """Lay out an HTML document with the sealed fetcher (every resource is fetched here)."""
    try:
        return HTML(
            string=html, base_url=STATIC_SCHEME_PREFIX, url_fetcher=ProjectStaticFetcher()
        ).render()
    except FatalURLFetchingError as exc:
        raise PDFAssetMissing(str(exc)) from exc


# Archival PDF (PDF/A-3b, ISO 19005-3) with its structure tagged; the metadata (title, author,
# subject, language) comes from the template's <title>, <meta> and <html lang>.
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}


def _write(document: Document) -> bytes:
    try:
        return document.write_pdf(**PDF_OPTIONS)
    except FatalURLFetchingError as exc:  # pragma: no cover - resources are fetched at layout
        raise PDFAssetMissing(str(exc)) from exc


def render_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes with the sealed fetcher."""
    return _write(_layout(html))


def is_valid_pdf(data: bytes) -> bool:
    """Whether bytes look like a whole PDF (header, trailer, some body): never store less."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] and len(data) > 1000


def french_date(value: datetime.date | str | None) -> str:
    """'1er décembre 2026', '28 novembre 2026': dates as written on French official documents."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    with translation.override("fr"):
        text = date_format(value, "j F Y")
    return f"1er{text[1:]}" if value.day == 1 else text


# The certificate is one page whatever the size of the référentiel: layouts are tried
# from the most generous to the most compact until one fits (most fit at the first try).
_DENSITIES = ("roomy", "compact", "dense")
# How many listed lines (bloc titles and capacities) each density is worth trying for.
_DENSITY_LINES = {"roomy": 14, "compact": 30, "dense": 10_000}


@dataclass(frozen=True)
class _Layout:
    density: str
    list_capacities: bool = True  # False: bloc titles only
    collapse_complete: bool = False  # a bloc validated in full is named, its capacities not
    annex: bool = False  # the capacities go to a second page


def _layouts(blocs: list[dict[str, Any]], *, partial: bool) -> list[_Layout]:
    lines = len(blocs) + sum(len(bloc["capacities"]) for bloc in blocs)
    first = next(i for i, d in enumerate(_DENSITIES) if lines <= _DENSITY_LINES[d])
    listed = [_Layout(d) for d in _DENSITIES[first:]]
    if not partial:
        # A certificate validates every capacity: naming the blocs is enough when space runs out.
        return [*listed, *(_Layout(d, list_capacities=False) for d in _DENSITIES)]
    # An attestation names exactly what was validated, on a second page when it must.
    return [
        *listed,
        *(_Layout(d, collapse_complete=True) for d in _DENSITIES[1:]),
        _Layout("roomy", list_capacities=False, annex=True),
    ]


def _bloc_rows(blocs: list[dict[str, Any]], layout: _Layout) -> list[dict[str, Any]]:
    return [
        {
            **bloc,
            "listed": layout.list_capacities
            and not (layout.collapse_complete and bloc.get("complete")),
        }
        for bloc in blocs
    ]


def holder_name(holder: dict[str, Any]) -> str:
    """The holder's name as the document prints it: the snapshot's "Prénom NOM"; a snapshot
    made before names had one form prints the names as they were typed, as it always did."""
    return str(
        holder.get("name") or f"{holder.get('first_name', '')} {holder.get('last_name', '')}"
    )


def _certificate_context(certificate: Any) -> dict[str, Any]:
    snapshot = certificate.snapshot
    registration = snapshot.get("registration")
    return {
        "certificate": certificate,
        "snapshot": snapshot,
        "partial": snapshot.get("kind") == "partial",
        "holder": snapshot["holder"],
        "holder_name": holder_name(snapshot["holder"]),
        "cqpi": snapshot["cqpi"],
        "branch": snapshot["branch"],
        # Documents issued before the certifier was a setting stated the CPNE of the branch.
        "certifier": snapshot.get("certifier")
        or f"CPNE de la branche {snapshot['branch']['name']}",
        "signatory": snapshot.get("signatory") or {},
        "registration": registration,
        "registration_date": (
            datetime.date.fromisoformat(registration["decision_date"]) if registration else None
        ),
        "all_blocs": snapshot.get("blocs") or [],
        "number": snapshot.get("number") or certificate.number,
        "birth_date": french_date(snapshot["holder"].get("birth_date")),
        "issued_on": french_date(snapshot.get("issued_on")),
        "valid_until": french_date(snapshot.get("valid_until")),
        "place_of_issue": snapshot.get("place_of_issue") or "",
        # The documents that credited capacities of a completed dossier (#18).
        "credited_documents": [
            {**document, "issued_on": french_date(document.get("issued_on"))}
            for document in snapshot.get("credited_documents") or []
        ],
        "verification_url": certificate.verification_url,
        # One pixel per module, drawn unsmoothed at the printed size (certificate.css, .qr): the
        # signed payload makes a dense code, which a larger PNG would only make slower to embed.
        "qr_code": qr_data_uri(certificate.qr_text, scale=1),
    }


def _html(context: dict[str, Any], layout: _Layout) -> str:
    context = {
        **context,
        "blocs": _bloc_rows(context["all_blocs"], layout),
        "density": layout.density,
        "annex": layout.annex,
    }
    with translation.override("fr"):
        return render_to_string("certifications/certificate_pdf.html", context)


def certificate_html(certificate: Any) -> str:
    """The HTML of a certificate or attestation, in the first layout tried."""
    context = _certificate_context(certificate)
    return _html(context, _layouts(context["all_blocs"], partial=context["partial"])[0])


def render_certificate_pdf(certificate: Any) -> bytes:
    """Render a certificate or attestation from its snapshot (never from the live dossier),
    on one page; an attestation too long for it carries its capacities on an annex page."""
    context = _certificate_context(certificate)
    for layout in _layouts(context["all_blocs"], partial=context["partial"]):
        document = _layout(_html(context, layout))
        if len(document.pages) == 1 or layout.annex:
            break
    return _write(document)
