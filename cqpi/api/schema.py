"""OpenAPI generation: every operation documents the one error shape and its status codes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code stable, lisible par une machine.")
    message = serializers.CharField(help_text="Message dans la langue demandée.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # Added here rather than declared: a class attribute named "fields" reads as overriding
        # the Serializer.fields property (DRF's metaclass pops it, but a type checker can't know).
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.JSONField(),
            help_text="Erreurs par champ : {champ: [{code, message}]}; par index pour un lot.",
        )
        return fields


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERRORS_ALWAYS = {
    "401": "Non authentifié (jeton absent, invalide ou expiré).",
    "403": "Authentifié, mais ce rôle ne permet pas l'opération.",
    "404": "Inconnu, ou hors du périmètre de l'utilisateur.",
    "429": "Trop de requêtes : réessayer après le délai indiqué par Retry-After.",
}
_ERRORS_OF_WRITES = {
    "400": "Données invalides ou refus d'une règle du domaine.",
    "409": "L'objet n'est pas dans un état qui permet l'opération, ou a changé entre-temps.",
    "422": "Idempotency-Key déjà utilisée pour une autre requête.",
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:  # type: ignore[override]
        responses = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        if direction != "response":
            return responses
        errors = dict(_ERRORS_ALWAYS)
        # Lists and reads refuse bad filters, cursors or pages with 400 too.
        errors["400"] = _ERRORS_OF_WRITES["400"]
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            errors.update(_ERRORS_OF_WRITES)
        if getattr(self.view, "authentication_classes", None) == []:
            errors.pop("401")
            errors.pop("403")
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), code
                )
        return responses
