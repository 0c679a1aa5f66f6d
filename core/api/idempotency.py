"""`Idempotency-Key`: a retried write gets the stored answer back instead of acting twice."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.models import IdempotencyRecord

from .exceptions import IdempotencyKeyReused

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _request_hash(request: Any) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, ensure_ascii=False)
    material = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def idempotent(action: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a viewset write: with the header, the first success is stored and replayed.

    The record is inserted before the action runs, in the action's transaction: a
    concurrent request with the same key waits on the unique index, then finds the
    finished record. A refusal rolls everything back, so the key stays free for a retry.
    """

    @functools.wraps(action)
    def wrapper(self: Any, request: Any, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return action(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {HEADER: [_("La clé d'idempotence doit faire de 1 à 255 caractères.")]}
            )
        digest = _request_hash(request)
        replay = _stored(request.user, key, digest)
        if replay is not None:
            return replay
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    request_hash=digest,
                    method=request.method,
                    path=request.path[:500],
                )
                response = action(self, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)
                    return response
                record.status_code = response.status_code
                record.response_body = json.loads(json.dumps(response.data, cls=JSONEncoder))
                record.save(update_fields=["status_code", "response_body"])
        except IntegrityError:
            # Another request with this key finished first.
            replay = _stored(request.user, key, digest)
            if replay is None:
                raise
            return replay
        return response

    return wrapper


def _stored(user: Any, key: str, digest: str) -> Response | None:
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise IdempotencyKeyReused(
            _("Cette clé d'idempotence a déjà servi pour une autre requête."),
        )
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
