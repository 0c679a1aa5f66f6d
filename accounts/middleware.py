"""Session lifetime (idle and absolute) and two-factor enforcement, checked on every request.

Both read only what the login wrote into the session (see `accounts.services.session_start`),
so an ordinary request costs no extra query.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from audit.services import audit_record

from .services import (
    IDLE_LIMIT,
    LAST_SEEN,
    LOGIN_AT,
    TWO_FACTOR,
    TWO_FACTOR_VERIFY,
)

# The last-seen clock is written at most this often, so a burst of requests saves the session once.
LAST_SEEN_RESOLUTION = 60


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _login_redirect(request: HttpRequest) -> HttpResponse:
    url = reverse(settings.LOGIN_URL)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(url)


class SessionLifetimeMiddleware:
    """Logs out a session idle too long (30 min for staff, jury, evaluators) or older than its life."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            login_at = session.get(LOGIN_AT)
            last_seen = session.get(LAST_SEEN)
            if login_at is None or last_seen is None:
                # A session opened before these clocks existed: start them now.
                session[LOGIN_AT] = session[LAST_SEEN] = now
            else:
                idle_limit = session.get(IDLE_LIMIT, settings.SESSION_IDLE_TIMEOUT)
                too_old = now - login_at > settings.SESSION_ABSOLUTE_LIFETIME
                if too_old or now - last_seen > idle_limit:
                    audit_record(
                        "auth.session_expired",
                        actor=request.user,
                        request=request,
                        details={"reason": "absolute" if too_old else "idle"},
                    )
                    logout(request)
                    if _is_api(request):
                        return self.get_response(request)
                    messages.warning(
                        request, _("Votre session a expiré. Veuillez vous reconnecter.")
                    )
                    return _login_redirect(request)
                if now - last_seen >= LAST_SEEN_RESOLUTION:
                    session[LAST_SEEN] = now
        return self.get_response(request)


# Pages a logged-in person still reaches before the second factor: logging out, the
# two-factor pages themselves, and what the browser or a probe fetches on its own.
TWO_FACTOR_EXEMPT_NAMES = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:two_factor_setup",
        "accounts:two_factor_verify",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
        "accounts:password_reset_complete",
        "accounts:activate",
        "healthz",
        "set_language",
    }
)


def _exempt(request: HttpRequest) -> bool:
    if request.path_info.startswith(settings.STATIC_URL):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in TWO_FACTOR_EXEMPT_NAMES


class TwoFactorMiddleware:
    """Until the second factor is given, a person who has a device, or whose branch requires one,
    reaches nothing but the two-factor pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = request.session.get(TWO_FACTOR)
        if step and SESSION_KEY in request.session and not _exempt(request):
            user = request.user
            if user.is_authenticated and not user.is_verified():  # type: ignore[union-attr,attr-defined]
                if _is_api(request):
                    return JsonResponse(
                        {"detail": _("Double authentification requise.")}, status=403
                    )
                name = (
                    "accounts:two_factor_verify"
                    if step == TWO_FACTOR_VERIFY
                    else "accounts:two_factor_setup"
                )
                url = reverse(name)
                if request.method == "GET":
                    url += "?" + urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(url)
        return self.get_response(request)
