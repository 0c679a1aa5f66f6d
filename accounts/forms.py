"""Forms of the accounts room: login with a generic refusal, one-time codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    # One message whether the address is unknown, the password wrong or the account inactive:
    # the page must not tell a stranger which addresses have an account.
    error_messages = {
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie et réessayez."
        ),
        "inactive": _(
            "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie et réessayez."
        ),
    }


class TokenForm(forms.Form):
    """A six-digit code from an authenticator app, or a backup code."""

    token = forms.CharField(
        label=_("Code à usage unique"),
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "")


class NewPasswordForm(SetPasswordForm):
    """Django's form, with what is wrong with the chosen password said under that field
    (too short, too common…) rather than under its confirmation, which only has to match."""

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self) or {}
