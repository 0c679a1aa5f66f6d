"""Admin of user accounts: email login, no username, national role flags."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from . import services
from .models import User, UserSession

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


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Open sessions, to see who is connected and end a session; the key itself is never shown,
    since it would let whoever reads it act as the person."""

    list_display = ("user", "created_at", "ip_prefix", "user_agent")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__last_name")
    fields = ("user", "created_at", "ip_prefix", "user_agent")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: Any, obj: UserSession) -> None:
        services.session_end(session_key=obj.session_key, by=request.user)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for key in queryset.values_list("session_key", flat=True):
            services.session_end(session_key=key, by=request.user)
