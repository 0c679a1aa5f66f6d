"""Reads of the historic room that need thought: the public lookup by printed number."""

from __future__ import annotations

import datetime

from .models import HistoricCertificate, name_key, number_key


def historic_lookup(
    *, number: str, last_name: str, birth_date: datetime.date
) -> HistoricCertificate | None:
    """The record with this printed number whose holder has this birth name (or usage name)
    and birth date; None otherwise, whichever of the three is wrong.

    The number alone names nobody: numbers were printed in sequence, so they can be guessed.
    The birth date and the name make the lookup something only a holder, or someone the holder
    showed the paper to, can make.
    """
    key = number_key(number)
    wanted = name_key(last_name)
    if not key or not wanted:
        return None
    found = HistoricCertificate.objects.filter(
        number_key=key, birth_date=birth_date
    ).select_related("branch", "version")
    for record in found.order_by("pk")[:5]:
        if wanted in (name_key(record.last_name), name_key(record.usage_name)):
            return record
    return None
