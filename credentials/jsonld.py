"""JSON-LD canonicalization with a document loader that serves only the vendored contexts.

Signing and verifying never touch the network: a context that is not vendored under
`vendor/contexts/` is refused, the same principle as the PDF renderer's URL fetcher.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from frozendict import frozendict
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


class _Processor(jsonld.JsonLdProcessor):
    """pyld's JSON-LD processor, keeping the type-scoped contexts it has applied.

    The OB 3.0 context gives most classes a context of their own (Achievement, Result,
    IdentityObject…), applied to every node of that type. pyld keeps a processed context by
    the identifier of the active context it was applied to, but applies a type-scoped one to
    a fresh copy of the active context, with a new identifier: its cache never answers for
    them (pyld 3.3.0), and every node of a credential processed its type's context again,
    two thirds of the time of a canonicalization (decision 0022).

    Here the result is kept per pair of objects (active context, scoped context), and only
    where both are immutable: the active context is a frozen one pyld made, and a
    type-scoped context is read from a term definition of such a context. The result is
    what pyld returned for that pair the first time, a frozen context pyld itself shares
    between operations. The objects are held with it, so their identities cannot be reused
    by others while the entry lives. Equivalence with pyld alone is tested on the published
    vectors and on the application's credentials (tests/credentials/test_jsonld.py)."""

    _kept: LRUCache[tuple[Any, ...], tuple[Any, ...]] = LRUCache(maxsize=128)
    _lock = threading.Lock()

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        if (
            propagate
            or cycles is not None
            or not (
                isinstance(active_ctx, frozendict) and isinstance(local_ctx, (dict, frozendict))
            )
        ):
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected=override_protected,
                propagate=propagate,
                validate_scoped=validate_scoped,
                cycles=cycles,
            )
        loader = options.get("documentLoader")
        flags = (override_protected, validate_scoped, options.get("base"))
        key = (id(active_ctx), id(local_ctx), id(loader), flags)
        with self._lock:
            kept = self._kept.get(key)
        if (
            kept is not None
            and kept[0] is active_ctx
            and kept[1] is local_ctx
            and kept[2] is loader
        ):
            return kept[3]
        processed = super()._process_context(
            active_ctx,
            local_ctx,
            options,
            override_protected=override_protected,
            propagate=False,
            validate_scoped=validate_scoped,
        )
        with self._lock:
            self._kept[key] = (active_ctx, local_ctx, loader, processed)
        return processed


def canonize(document: dict[str, Any], *, loader: Loader = vendored_loader) -> str:
    """The RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) of a document, as N-Quads.

    `loader` is for the tests' published vectors, whose example contexts are not ours."""
    try:
        return _Processor().normalize(
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
