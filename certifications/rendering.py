"""PDF rendering with WeasyPrint, sealed off from the network and the filesystem.

Every document (certificate, attestation, procès-verbal) is rendered by `render_pdf`,
whose URL fetcher serves only the project's own static files and `data:` URLs.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

STATIC_SCHEME_PREFIX = "cqpi-static:"


class ProjectStaticFetcher(URLFetcher):
    """Resolves `cqpi-static:<path>` to the project's static files and lets `data:` through;
    refuses everything else (http, https, file, ftp, …) without touching the network."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(STATIC_SCHEME_PREFIX):
            return self._static(url[len(STATIC_SCHEME_PREFIX) :])
        if urlsplit(url).scheme == "data":
            return super().fetch(url, headers)
        raise URLFetchingError(f"blocked URL in PDF rendering: {url[:80]!r}")

    def _static(self, relative: str) -> URLFetcherResponse:
        relative = unquote(relative).lstrip("/")
        found = finders.find(relative)
        if not found:
            raise URLFetchingError(f"no such static file: {relative[:80]!r}")
        path = Path(found).resolve()
        allowed_roots = [Path(d).resolve() for d in settings.STATICFILES_DIRS]
        if not any(path.is_relative_to(root) for root in allowed_roots):
            raise URLFetchingError("static file outside the project's static folder")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url=f"{STATIC_SCHEME_PREFIX}{relative}",
            body=path.read_bytes(),
            headers={"Content-Type": mime or "application/octet-stream"},
        )


def render_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes with the sealed fetcher."""
    document = HTML(string=html, base_url=STATIC_SCHEME_PREFIX, url_fetcher=ProjectStaticFetcher())
    return document.write_pdf()


def qr_data_uri(url: str) -> str:
    """The QR code of a URL as a PNG data URI (faster to render than SVG)."""
    return segno.make(url, error="m").png_data_uri(scale=4, border=2)


def render_certificate_pdf(certificate: Any) -> bytes:
    """Render a certificate or attestation from its snapshot (never from the live dossier)."""
    context = {
        "certificate": certificate,
        "snapshot": certificate.snapshot,
        "verification_url": certificate.verification_url,
        "qr_code": qr_data_uri(certificate.verification_url),
    }
    html = render_to_string("certifications/certificate_pdf.html", context)
    return render_pdf(html)
