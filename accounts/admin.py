"""Admin of user accounts: email login, no username, national role flags."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from .models import User

# Roles are memberships of a branch or national flags on the user; groups and per-user
# permissions are not used, so they are not offered.
admin.site.unregister(Group)


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        exclude = ("groups", "user_permissions")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (
            _("Rôles nationaux et droits"),
            {
                "fields": (
                    "is_active",
                    "is_superuser",
                    "is_coc_observer",
                    "is_staff",
                ),
                "description": _(
                    "« Superutilisateur » : administrateur national. Les rôles dans une branche "
                    "(personnel CPNE, jury, référent) se gèrent dans « Rôles dans les branches »."
                ),
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = (
        "email",
        "first_name",
        "last_name",
        "is_superuser",
        "is_coc_observer",
        "is_active",
    )
    list_filter = ("is_superuser", "is_coc_observer", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
