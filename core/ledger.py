"""Sources a person's ledger reads beside the issued documents, registered by higher rooms.

The ledger (`candidates.ledger`) is what a person validated, built from issued documents.
Some of those documents live in rooms above `candidates` (the certificates issued before
the platform, in `historic`), which `candidates` may not import. So a higher room registers
a source here from its `AppConfig.ready`: a function given the persons' ids (a list or a
subquery of ids) that returns that room's ledger entries for them. The ledger asks every
source and sorts the entries in with the documents; the rooms keep their imports flowing
down, and a room that is not installed simply adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

LedgerSource = Callable[[Any], Iterable[Any]]

_sources: dict[str, LedgerSource] = {}


def ledger_source_register(name: str, source: LedgerSource) -> None:
    """Add (or replace, on a second `ready`) the source named `name`."""
    _sources[name] = source


def ledger_sources_read(person_ids: Any) -> list[Any]:
    """Every registered source's entries for these persons (one query per source)."""
    return [entry for source in _sources.values() for entry in source(person_ids)]
