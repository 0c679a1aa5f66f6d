"""Authentication events into the audit trail: logins, failures, lockouts and logouts."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .services import audit_record

USERNAME_MAX = 150


def _username(value: Any) -> str:
    # The attempted identifier is what a lockout investigation needs; never the password.
    return str(value or "")[:USERNAME_MAX]


@receiver(user_logged_in, dispatch_uid="audit_login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record("auth.login", actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record("auth.logout", actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    audit_record(
        "auth.login_failed",
        request=request,
        details={"username": _username(credentials.get("username") or credentials.get("email"))},
    )


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def on_locked_out(
    sender: Any, request: Any = None, username: Any = None, ip_address: Any = None, **kwargs: Any
) -> None:
    audit_record("auth.lockout", request=request, details={"username": _username(username)})
