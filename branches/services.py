"""Writes of the branches room: numbering, roles and their object grants."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Branch, Counter


@transaction.atomic
def counter_next(*, branch: Branch, kind: str, year: int, count: int = 1) -> int:
    """The next number of a per-branch, per-year sequence; the row lock makes it unique.

    With `count`, reserves that many consecutive numbers and returns the first: one
    update of the locked row, whatever the count (a bulk import takes thousands).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    counter = (
        Counter.objects.select_for_update().filter(branch=branch, kind=kind, year=year).first()
    )
    if counter is None:
        try:
            with transaction.atomic():
                Counter.objects.create(branch=branch, kind=kind, year=year)
        except IntegrityError:
            pass  # created concurrently: lock theirs below
        counter = Counter.objects.select_for_update().get(branch=branch, kind=kind, year=year)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return first
