"""Account pages: login, password reset, a candidate's activation, two-factor setup and check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record
from core.qr import qr_data_uri

from . import services
from .forms import LoginForm, NewPasswordForm, TokenForm
from .lockout import client_ip
from .models import User, UserSession

BACKUP_CODES = 10


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for the address; the same answer whether it has an account, is over its limit,
    or not (accounts.services.password_reset_request mails the link from the worker)."""

    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        services.password_reset_request(
            email=form.cleaned_data["email"], client=client_ip(self.request)
        )
        return HttpResponseRedirect(self.get_success_url())


def _reset_hours() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 3600


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "hours": _reset_hours()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")
    form_class = NewPasswordForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record("auth.password_reset", obj=form.user, actor=form.user, request=self.request)
        return response


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _user_from_uid(uidb64: str) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return User.objects.get(pk=pk, is_active=True)
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """An invited candidate chooses a password, is logged in and lands in their space."""
    user = _user_from_uid(uidb64)
    if user is None or not services.invitation_tokens.check_token(user, token):
        return render(request, "accounts/activate.html", {"valid": False}, status=400)
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()  # a new password hash: the link is dead from now on
        audit_record("auth.account_activated", obj=user, actor=user, request=request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Votre compte est activé. Bienvenue dans votre espace."))
        return redirect("space:home")
    return render(request, "accounts/activate.html", {"valid": True, "form": form})


def _pending_totp_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(
        user=user, name=_("Application d'authentification"), confirmed=False
    )


def _issue_backup_codes(user: Any) -> list[str]:
    """Fresh single-use codes for when the phone is lost; earlier ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.may_use_two_factor(user):
        raise PermissionDenied
    if user_has_device(user):
        if not user.is_verified():  # type: ignore[union-attr]
            # Adding a device must not be a way around the one already there.
            return redirect(reverse("accounts:two_factor_verify") + "?" + request.GET.urlencode())
        return render(request, "accounts/two_factor_setup.html", {"enabled": True})
    device = _pending_totp_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session[services.TWO_FACTOR] = services.TWO_FACTOR_VERIFY
            audit_record("auth.two_factor_enabled", obj=user, actor=user, request=request)
            codes = _issue_backup_codes(user)
            messages.success(request, _("La double authentification est activée."))
            return render(
                request,
                "accounts/two_factor_backup_codes.html",
                {"codes": codes, "next": _next_url(request, reverse("home"))},
            )
        form.add_error(
            "token", _("Ce code n'est pas valide. Saisissez le code affiché maintenant.")
        )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "enabled": False,
            "form": form,
            "qr_data_uri": qr_data_uri(device.config_url),
            "secret": _grouped_base32(device.bin_key),
            "next": _next_url(request, ""),
        },
    )


def _grouped_base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = _next_url(request, reverse("home"))
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    if not user_has_device(user):
        return redirect(reverse("accounts:two_factor_setup") + "?" + request.GET.urlencode())
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Devices throttle wrong codes themselves (growing delays), so guessing is slow.
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            audit_record(
                "auth.two_factor_verified",
                actor=user,
                request=request,
                details={"backup_code": isinstance(device, StaticDevice)},
            )
            return redirect(next_url)
        audit_record("auth.two_factor_failed", actor=user, request=request)
        form.add_error("token", _("Ce code n'est pas valide ou a déjà servi."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The person's own account: open sessions (ending any of them) and two-factor status."""
    user = request.user
    assert isinstance(user, User)  # login_required
    return render(
        request,
        "accounts/account.html",
        {
            "sessions": UserSession.objects.filter(user=user),
            "current_key": request.session.session_key,
            "may_use_two_factor": services.may_use_two_factor(user),
            "has_device": user_has_device(user),
        },
    )


@login_required
@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's session is not found here: a 404, like another branch's object.
    record = get_object_or_404(UserSession, pk=pk, user=request.user)
    if record.session_key == request.session.session_key:
        return redirect("accounts:account")  # this one ends by logging out
    services.session_forget_own(session_key=record.session_key, by=request.user)
    messages.success(request, _("La session a été fermée."))
    return redirect("accounts:account")
