"""Rows that record what was certified or decided are never deleted: revoked or superseded instead."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models.deletion import ProtectedError


def _refuse(objs: Any) -> NoReturn:
    raise ProtectedError(
        "Certificates, decisions and their history are never deleted: revoke or supersede them.",
        objs,
    )


class UndeletableQuerySet(models.QuerySet[Any]):
    def delete(self) -> NoReturn:  # type: ignore[override]
        _refuse(self)


class UndeletableModel(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        _refuse([self])
