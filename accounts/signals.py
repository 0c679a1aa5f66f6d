"""Authentication events: record and end sessions, end them on deactivation or when 2FA becomes required."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from audit.services import audit_record
from branches.models import Branch, Role

from . import services
from .models import User


@receiver(user_logged_in, dispatch_uid="accounts_session_start")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_start(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts_session_forget")
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_forget(session_key=request.session.session_key)


@receiver(pre_save, sender=User, dispatch_uid="accounts_note_deactivation")
def note_deactivation(
    sender: Any, instance: User, update_fields: Any = None, **kwargs: Any
) -> None:
    if instance.pk is None or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    was_active = User.objects.filter(pk=instance.pk, is_active=True).exists()
    instance._cqpi_deactivated = was_active  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="accounts_end_sessions_on_deactivation")
def end_sessions_on_deactivation(sender: Any, instance: User, **kwargs: Any) -> None:
    # Whoever deactivates (admin, service, shell), the person is logged out everywhere at once.
    if getattr(instance, "_cqpi_deactivated", False):
        instance._cqpi_deactivated = False  # type: ignore[attr-defined]
        ended = services.user_end_sessions(user=instance)
        audit_record("auth.user_deactivated", obj=instance, details={"sessions_ended": ended})


@receiver(pre_save, sender=Branch, dispatch_uid="accounts_note_two_factor_switch")
def note_two_factor_switch(sender: Any, instance: Branch, **kwargs: Any) -> None:
    if instance.pk is None or not instance.require_two_factor:
        return
    was_off = Branch.objects.filter(pk=instance.pk, require_two_factor=False).exists()
    instance._cqpi_two_factor_switched_on = was_off  # type: ignore[attr-defined]


@receiver(post_save, sender=Branch, dispatch_uid="accounts_end_sessions_on_two_factor_switch")
def end_sessions_on_two_factor_switch(sender: Any, instance: Branch, **kwargs: Any) -> None:
    # The requirement is read at login: ending its staff's and jury's sessions now makes it
    # apply at once, instead of at their next login.
    if not getattr(instance, "_cqpi_two_factor_switched_on", False):
        return
    instance._cqpi_two_factor_switched_on = False  # type: ignore[attr-defined]
    users = User.objects.filter(
        memberships__branch=instance,
        memberships__is_active=True,
        memberships__role__in=[Role.STAFF, Role.JURY],
    ).distinct()
    for user in users:
        services.user_end_sessions(user=user)
