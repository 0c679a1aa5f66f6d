"""JSON-LD canonicalization with a document loader that serves only the vendored contexts.

Signing and verifying never touch the network: a context that is not vendored under
`vendor/contexts/` is refused, the same principle as the PDF renderer's URL fetcher.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from pyld import jsonld

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

# The only URLs the loader answers, and the vendored file each one is.
VENDORED_CONTEXTS: dict[str, str] = {
    CREDENTIALS_V2: "contexts/credentials-v2.jsonld",
    OB_V3P0: "contexts/ob-v3p0-context-3.0.3.json",
}


class ContextNotVendored(ValueError):
    """A document names a JSON-LD context this application does not ship: it is not fetched."""


@functools.cache
def _context(url: str) -> dict[str, Any]:
    return json.loads((VENDOR_DIR / VENDORED_CONTEXTS[url]).read_text(encoding="utf-8"))


def vendored_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: a vendored context, or `ContextNotVendored` (never a request)."""
    if url not in VENDORED_CONTEXTS:
        raise ContextNotVendored(f"JSON-LD context not vendored: {url[:120]!r}")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        # pyld may modify what it is given: each call gets its own copy.
        "document": copy.deepcopy(_context(url)),
        # Vendored contexts never change: pyld keeps them resolved across operations, in a
        # process-wide cache that only this loader fills (nothing else here uses pyld).
        "tag": "static",
    }


Loader = Any  # (url, options) -> remote document, as pyld calls it


def canonize(document: dict[str, Any], *, loader: Loader = vendored_loader) -> str:
    """The RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) of a document, as N-Quads.

    `loader` is for the tests' published vectors, whose example contexts are not ours."""
    try:
        return jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": loader,
                # Terms that the contexts do not define would silently drop out of the signed data.
                "safe": True,
            },
        )
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ContextNotVendored):
                raise cause from exc
            cause = getattr(cause, "cause", None) or cause.__cause__
        raise
