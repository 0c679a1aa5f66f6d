"""Writes of the branches room: numbering, roles and their object grants."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Branch, Counter


@transaction.atomic
def counter_next(*, branch: Branch, kind: str, year: int) -> int:
    """The next number of a per-branch, per-year sequence; the row lock makes it unique."""
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
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return counter.last_value
