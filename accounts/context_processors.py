"""Puts the user's roles in every template, for the navigation."""

from typing import Any

from django.http import HttpRequest

from branches.access import roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    return {"roles": roles_of(getattr(request, "user", None))}
