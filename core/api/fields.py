"""Ids in request bodies resolve through the requesting user's scoped querysets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign or unknown id is the same field error ("does not exist"), never used.

    `scope(user)` returns the queryset the user may point at, e.g. `Dossier.objects.visible_to`;
    `model` is given for the schema, which is generated without a user.
    """

    def __init__(self, *, scope: Callable[[Any], QuerySet[Any]], model: Any, **kwargs: Any):
        self.scope = scope
        self.model = model
        kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return self.scope(user)
