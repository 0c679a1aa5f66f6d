"""The user: one account per person, logged in by email; national roles are flags on it."""

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailUserManager(UserManager["User"]):
    def _create_user_object(self, username: Any, email: Any, password: Any, **extra: Any) -> "User":
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra)
        user.password = ""
        if password is not None:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra)
        user.save(using=self._db)
        return user

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person. Branch roles live in `branches.Membership`; a candidate links through `Candidate.user`.

    `is_superuser` is the national administrator; `is_coc_observer` the national COC observer.
    """

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("adresse e-mail"), unique=True)
    is_coc_observer = models.BooleanField(
        _("observateur COC"),
        default=False,
        help_text=_("Membre du Comité Observatoires et Certifications : chiffres nationaux."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} <{self.email}>" if full else self.email


class UserSession(models.Model):
    """A session opened by logging in: lets us end a person's sessions and show them their devices."""

    session_key = models.CharField(_("clé de session"), max_length=40, unique=True)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("personne")
    )
    created_at = models.DateTimeField(_("ouverte le"), auto_now_add=True)
    # Truncated (/24 for IPv4, /48 for IPv6): enough to recognise a place, not to track a person.
    ip_prefix = models.CharField(_("adresse (tronquée)"), max_length=64, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("session ouverte")
        verbose_name_plural = _("sessions ouvertes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"
