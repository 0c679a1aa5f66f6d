"""Account writes: recorded sessions and their end, deactivation, invitations, two-factor devices."""

from __future__ import annotations

import copy
import datetime
import functools
import hashlib
import ipaddress
import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from audit.services import audit_record
from branches.access import forget_roles, require_branch_staff, roles_of
from branches.models import (
    Branch,
    Company,
    ConflictOfInterest,
    EvaluatorHabilitation,
    Membership,
    Role,
)
from branches.validators import normalize_siret
from core import ratelimit
from core.errors import AccessRefused, DomainError

from .lockout import client_ip
from .models import User, UserSession

# Keys this app keeps in the session (see accounts.middleware).
LOGIN_AT = "_cqpi_login_at"
LAST_SEEN = "_cqpi_last_seen"
IDLE_LIMIT = "_cqpi_idle_limit"
TWO_FACTOR = "_cqpi_two_factor"
TWO_FACTOR_VERIFY = "verify"  # has a confirmed device: must enter a code
TWO_FACTOR_SETUP = "setup"  # a branch requires it and there is no device yet


def truncate_ip(address: str | None) -> str:
    """The network, not the host: /24 for IPv4, /48 for IPv6."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def idle_limit_for(user: Any) -> int:
    """Seconds of inactivity a session may last: short for anyone who decides or reads others' files."""
    # On a copy: roles_of caches on the object, and the caller's user may gain roles later.
    roles = roles_of(copy.copy(user))
    privileged = (
        roles.sees_all_branches
        or roles.is_staff_member
        or roles.is_jury_member
        or roles.is_evaluator
        or roles.is_referent
    )
    if privileged:
        return settings.SESSION_IDLE_TIMEOUT
    return settings.SESSION_IDLE_TIMEOUT_CANDIDATE


# The roles `TWO_FACTOR_REQUIRED_ROLES` may name (production: national_admin and staff).
TWO_FACTOR_ROLES = frozenset({"national_admin", "staff", "jury"})


def two_factor_required(user: Any) -> bool:
    """Whether this person must use a second factor: a national administrator or an active CPNE
    staff member or jury member when `TWO_FACTOR_REQUIRED_ROLES` names the role (production
    names national administrators and staff), and staff and jury members of a branch that
    requires it (the branch's setting extends it to its jury)."""
    required = set(settings.TWO_FACTOR_REQUIRED_ROLES)
    if user.is_superuser and "national_admin" in required:
        return True
    memberships = Q(branch__require_two_factor=True, role__in=[Role.STAFF, Role.JURY])
    by_role = [role for role in (Role.STAFF, Role.JURY) if role.value in required]
    if by_role:
        memberships |= Q(role__in=by_role)
    return Membership.objects.filter(memberships, user=user, is_active=True).exists()


def token_second_factor_check(*, user: Any, code: str) -> None:
    """Before an API token is minted on a password alone (HTTP Basic): the second factor of a
    person who has one, given as `code`; none for a person whose branch requires one they have
    not set up. A token is then as strong as the login that made it."""
    from django_otp import match_token, user_has_device
    from django_otp.plugins.otp_static.models import StaticDevice

    if user_has_device(user):
        if not code.strip():
            raise AccessRefused(
                _(
                    "Double authentification requise : joignez le code de votre application "
                    "(champ « otp_token »)."
                ),
                code="two_factor_required",
            )
        # Devices throttle wrong codes themselves (growing delays), so guessing is slow.
        device = match_token(user, code.strip())
        if device is None:
            audit_record("auth.two_factor_failed", actor=user, details={"via": "api_token"})
            raise AccessRefused(
                _("Ce code n'est pas valide ou a déjà servi."), code="two_factor_invalid"
            )
        audit_record(
            "auth.two_factor_verified",
            actor=user,
            details={"via": "api_token", "backup_code": isinstance(device, StaticDevice)},
        )
    elif two_factor_required(user):
        raise AccessRefused(
            _(
                "La double authentification est obligatoire pour votre compte : activez-la "
                "dans « Mon compte » avant de créer un jeton."
            ),
            code="two_factor_setup_required",
        )


def may_use_two_factor(user: Any) -> bool:
    roles = roles_of(user)
    return roles.is_staff_member or roles.is_jury_member or roles.sees_all_branches


def session_start(*, request: HttpRequest, user: Any) -> UserSession | None:
    """Record a fresh login: the session row, its clocks and what the middleware must enforce."""
    from django_otp import user_has_device

    session = request.session
    now = int(time.time())
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now
    session[IDLE_LIMIT] = idle_limit_for(user)
    if user_has_device(user):
        session[TWO_FACTOR] = TWO_FACTOR_VERIFY
    elif two_factor_required(user):
        session[TWO_FACTOR] = TWO_FACTOR_SETUP
    else:
        session.pop(TWO_FACTOR, None)
    if not session.session_key:
        session.save()
    record, _created = UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip_prefix": truncate_ip(client_ip(request)),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )
    return record


def session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def _session_store(session_key: str) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def session_end(*, session_key: str, by: Any) -> None:
    """End one session now (the national administrator, from the admin): its data and its record."""
    if not roles_of(by).is_national_admin:
        raise PermissionDenied
    record = UserSession.objects.select_related("user").filter(session_key=session_key).first()
    _session_store(session_key).delete()
    session_forget(session_key=session_key)
    if record is not None:
        audit_record("auth.session_ended", obj=record.user, actor=by)


def session_forget_own(*, session_key: str, by: Any) -> None:
    """A person ends one of their own sessions (a forgotten computer, a lost phone)."""
    record = UserSession.objects.filter(session_key=session_key, user=by).first()
    if record is None:
        raise PermissionDenied
    _session_store(session_key).delete()
    record.delete()
    audit_record("auth.session_ended", obj=by, actor=by)


def user_end_sessions(*, user: Any) -> int:
    """End every recorded session of the user, whatever the session engine; returns how many."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store = _session_store(key)
        # A session the user re-used for someone else's login would not be theirs any more.
        if str(store.get(SESSION_KEY)) in ("", "None", str(user.pk)):
            store.delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def user_deactivate(*, user: User, by: Any) -> User:
    """Deactivate an account: it can no longer log in and its open sessions end now."""
    if not roles_of(by).is_national_admin:
        raise PermissionDenied
    if user.pk == by.pk:
        raise DomainError(_("Vous ne pouvez pas désactiver votre propre compte."))
    user.is_active = False
    user.save(update_fields=["is_active"])  # the pre_save signal ends the sessions
    return user


# The domain of anonymised accounts' addresses: reserved (RFC 2606), so nothing is ever sent.
ANONYMOUS_EMAIL_DOMAIN = "anonyme.invalid"


def user_is_anonymised(user: Any) -> bool:
    return str(user.email).endswith(f"@{ANONYMOUS_EMAIL_DOMAIN}")


@transaction.atomic
def user_anonymise(*, user: User) -> bool:
    """Replace an account's identity by a placeholder and close it for good: no name, an address
    that reaches nobody, no password, no session, no second-factor device, no API token. The row
    stays (decisions, histories and uploads point at it). Called by the retention policy and an
    approved erasure, which check who asked; returns False if it was already anonymised."""
    from django_otp import devices_for_user
    from knox.models import AuthToken

    user = User.objects.select_for_update().get(pk=user.pk)
    if user_is_anonymised(user):
        return False
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    AuthToken.objects.filter(user=user).delete()
    user_end_sessions(user=user)
    user.email = f"anonyme-{user.pk}@{ANONYMOUS_EMAIL_DOMAIN}"
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    forget_roles(user)
    return True


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """One-time activation tokens: a different salt from password reset, a longer life.

    Like reset tokens they hash the password and the last login, so setting the password
    (or logging in) kills the link.
    """

    key_salt = "cqpi.accounts.InvitationTokenGenerator"

    def check_token(self, user: Any, token: str | None) -> bool:
        # The parent's check, with INVITATION_TIMEOUT instead of PASSWORD_RESET_TIMEOUT.
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= settings.INVITATION_TIMEOUT


invitation_tokens = InvitationTokenGenerator()


def activation_url(user: User) -> str:
    path = reverse(
        "accounts:activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def invitation_send(*, user: User, full_name: str, branch_name: str) -> None:
    """Mail the activation link once the transaction commits (a rolled-back invite sends nothing)."""
    context = {
        "full_name": full_name,
        "branch_name": branch_name,
        "url": activation_url(user),
        "days": settings.INVITATION_TIMEOUT // 86400,
        "site_url": settings.SITE_URL,
    }
    subject = _("Votre espace CQPI : activez votre compte")
    body = render_to_string("accounts/emails/invitation.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    )


# --- Password reset -------------------------------------------------------------------


def password_reset_request(*, email: str, client: str) -> bool:
    """Someone asked for a reset link for `email` from address `client`: mail it from the
    worker, within the limits per address and per client. Whether an account exists, and
    whether a limit stopped it, shows neither in the answer nor in its time (the caller
    says the same thing whatever this returns). Returns whether a link was sent for."""
    from django.contrib.auth.forms import PasswordResetForm

    from .tasks import email_password_reset

    address = email.strip().lower()
    # `&`, not `and`: both counters count every request, whichever refuses.
    within = ratelimit.allow(
        f"password-reset:address:{address}", settings.PASSWORD_RESET_RATE_PER_ADDRESS
    ) & ratelimit.allow(f"password-reset:client:{client}", settings.PASSWORD_RESET_RATE_PER_CLIENT)
    audit_record(
        "auth.password_reset_requested" if within else "auth.password_reset_limited",
        details={"username": address[:150]},
    )
    if not within:
        return False
    # Django's own choice of accounts: active, with a usable password, the email matching.
    for user in PasswordResetForm().get_users(address):
        # robust: a broker that does not answer is logged, the answer stays the same.
        transaction.on_commit(functools.partial(email_password_reset.delay, user.pk), robust=True)
    return True


def password_reset_send(*, user_id: int) -> None:
    """The reset email, written and sent by the worker; nothing for an account gone or
    deactivated since the request."""
    from django.contrib.auth.tokens import default_token_generator

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    context = {
        "email": user.email,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "site_url": settings.SITE_URL,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = render_to_string("accounts/emails/password_reset_subject.txt", context)
    body = render_to_string("accounts/emails/password_reset.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])


# --- Branch administration ---------------------------------------------------------------

# The branch settings its CPNE staff (and national administrators) change from the portal.
BRANCH_SETTINGS = (
    "certifier_name",
    "place_of_issue",
    "signatory_name",
    "signatory_title",
    "partial_validity_months",
    "quorum_rule",
    "quorum_minimum",
    "majority_rule",
    "chair_casting_vote",
    "evidence_dossier_for_all_routes",
    "reminder_delay_days",
    "require_two_factor",
    "cdc_client_id",
    "cdc_contract_id",
)


def _audit_value(value: Any) -> Any:
    return value if isinstance(value, (bool, int, str)) or value is None else str(value)


@transaction.atomic
def branch_settings_update(
    *,
    branch: Branch,
    by: Any,
    changes: dict[str, Any],
    signature_png: bytes | None = None,
    remove_signature: bool = False,
) -> Branch:
    """Change a branch's settings: the certifier body its documents name, who signs its
    certificates and with which image, where they are issued, its jury rules, whether its staff and jury must use a second factor.

    Only its CPNE staff or a national administrator; `signature_png` is an image already
    checked and cleaned (`core.uploads.signature_image_png`). The audit event holds each
    changed setting before and after (the image by its SHA-256).
    """
    require_branch_staff(by, branch.pk)
    unknown = set(changes) - set(BRANCH_SETTINGS)
    if unknown:
        raise ValueError(f"not a branch setting: {sorted(unknown)}")
    locked = Branch.objects.select_for_update().get(pk=branch.pk)
    before = {name: getattr(locked, name) for name in BRANCH_SETTINGS}
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["signatory_image"])
    diff: dict[str, list[Any]] = {
        name: [_audit_value(before[name]), _audit_value(getattr(locked, name))]
        for name in BRANCH_SETTINGS
        if before[name] != getattr(locked, name)
    }
    old_image = locked.signatory_image.name or ""
    old_digest = _file_digest(locked.signatory_image) if old_image else None
    if signature_png is not None:
        digest = hashlib.sha256(signature_png).hexdigest()
        locked.signatory_image.save(
            f"{locked.code}-{digest[:12]}.png", ContentFile(signature_png), save=False
        )
        diff["signatory_image"] = [old_digest, digest]
    elif remove_signature and old_image:
        locked.signatory_image = None  # type: ignore[assignment]
        diff["signatory_image"] = [old_digest, None]
    if not diff:
        return locked
    locked.save()
    audit_record("branch.settings_updated", obj=locked, branch=locked, details={"changes": diff})
    return locked


def _file_digest(field: Any) -> str | None:
    try:
        with field.open("rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _referentiel_model() -> Any:
    """certifications.Referentiel, reached through the relation branches declares onto it
    (accounts and certifications are side by side: neither imports the other)."""
    return EvaluatorHabilitation._meta.get_field("referentiel").related_model


def adopted_referentiels(branch: Branch) -> Any:
    """The CQPI the branch has adopted: what it may habilitate evaluators for."""
    return _referentiel_model().objects.filter(adoptions__branch=branch).order_by("title")


def person_for_email(*, email: str, first_name: str, last_name: str) -> tuple[User, bool]:
    """The account at this address, or a new inactive one (to invite) when there is none:
    `(user, created)`. The caller sends the invitation once it has given the person a role."""
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    if not (first_name.strip() and last_name.strip()):
        raise DomainError(
            _(
                "Aucun compte n'existe à cette adresse : donnez le prénom et le nom pour "
                "inviter la personne."
            ),
            code="name_required",
        )
    user = User.objects.create_user(
        email=email, first_name=first_name.strip(), last_name=last_name.strip(), is_active=False
    )
    return user, True


@transaction.atomic
def membership_add(
    *, branch: Branch, by: Any, user: User, role: str, college: str = ""
) -> Membership:
    """Give a person a role in the branch: CPNE staff, or jury member of a collège (référents
    are appointed to their company by `evaluations.services.referent_appoint`, which writes
    their grant)."""
    require_branch_staff(by, branch.pk)
    if role not in (Role.STAFF, Role.JURY):
        raise ValueError(f"membership_add takes staff or jury, not {role!r}")
    if role == Role.JURY and not college:
        raise DomainError(_("Choisissez le collège du membre de jury."), code="college_required")
    existing = (
        Membership.objects.select_for_update()
        .filter(user=user, branch=branch, role=role)
        .order_by("-is_active", "-pk")
        .first()
    )
    if existing is not None and existing.is_active:
        raise DomainError(
            _("Cette personne a déjà ce rôle dans la branche."), code="already_member"
        )
    if existing is not None:
        existing.is_active = True
        existing.college = college if role == Role.JURY else ""
        existing.save(update_fields=["is_active", "college"])
        membership = existing
    else:
        membership = Membership.objects.create(
            user=user, branch=branch, role=role, college=college if role == Role.JURY else ""
        )
    forget_roles(user)
    audit_record(
        "membership.added",
        obj=membership,
        branch=branch,
        label=membership.get_role_display(),
        details={"member": user.pk, "role": role, "college": membership.college},
    )
    return membership


@transaction.atomic
def membership_deactivate(
    *, membership: Membership, by: Any, reason: str, released_convocations: int | None = None
) -> Membership:
    """End a CPNE staff or jury role (the row stays, inactive, for the record): from now on the
    person no longer sees the branch through it. `released_convocations` is what the caller
    already released with it (a jury member's seats in planned sessions), kept in the trail."""
    require_branch_staff(by, membership.branch_id)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role not in (Role.STAFF, Role.JURY):
        raise ValueError("référents are removed by evaluations.services.referent_remove")
    if not reason.strip():
        raise DomainError(_("Donnez le motif du retrait."), code="reason_required")
    if not locked.is_active:
        raise DomainError(_("Ce rôle est déjà retiré."), code="already_inactive")
    if locked.user_id == getattr(by, "pk", None) and locked.role == Role.STAFF:
        raise DomainError(
            _("Vous ne pouvez pas retirer votre propre rôle de personnel CPNE."), code="self"
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    forget_roles(locked.user)
    audit_record(
        "membership.deactivated",
        obj=locked,
        branch=locked.branch_id,
        label=locked.get_role_display(),
        details={
            "member": locked.user_id,
            "role": locked.role,
            "reason": reason.strip(),
            **(
                {"released_convocations": released_convocations}
                if released_convocations is not None
                else {}
            ),
        },
    )
    return locked


@transaction.atomic
def evaluator_habilitate(
    *,
    branch: Branch,
    by: Any,
    email: str,
    first_name: str,
    last_name: str,
    referentiel: Any,
    valid_from: datetime.date,
    valid_until: datetime.date,
) -> EvaluatorHabilitation:
    """Habilitate an evaluator for one CQPI of the branch over a period. A person without an
    account gets one, inactive, and an invitation to activate it (sent once this commits)."""
    require_branch_staff(by, branch.pk)
    if valid_until < valid_from:
        raise DomainError(_("La fin de l'habilitation précède son début."), code="invalid_period")
    if not adopted_referentiels(branch).filter(pk=referentiel.pk).exists():
        raise DomainError(_("La branche n'a pas adopté ce CQPI."), code="not_adopted")
    user, invited = person_for_email(email=email, first_name=first_name, last_name=last_name)
    overlapping = EvaluatorHabilitation.objects.select_for_update().filter(
        evaluator=user,
        branch=branch,
        referentiel=referentiel,
        valid_from__lte=valid_until,
        valid_until__gte=valid_from,
    )
    if overlapping.exists():
        raise DomainError(
            _("Cette personne est déjà habilitée pour ce CQPI sur une partie de cette période."),
            code="overlapping_habilitation",
        )
    habilitation = EvaluatorHabilitation.objects.create(
        evaluator=user,
        branch=branch,
        referentiel=referentiel,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if invited:
        invitation_send(user=user, full_name=user.get_full_name(), branch_name=branch.name)
    audit_record(
        "habilitation.granted",
        obj=habilitation,
        branch=branch,
        label=str(referentiel),
        details={
            "evaluator_id": user.pk,
            "referentiel_id": referentiel.pk,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "invited": invited,
        },
    )
    forget_roles(user)
    return habilitation


@transaction.atomic
def habilitation_end(*, habilitation: EvaluatorHabilitation, by: Any, reason: str) -> None:
    """End a current habilitation today, for a reason kept in the trail: from tomorrow the
    evaluator is no longer offered for this CQPI (grids already assigned stay theirs)."""
    require_branch_staff(by, habilitation.branch_id)
    locked = EvaluatorHabilitation.objects.select_for_update().get(pk=habilitation.pk)
    today = timezone.localdate()
    if not reason.strip():
        raise DomainError(_("Donnez le motif de la fin d'habilitation."), code="reason_required")
    if locked.valid_until < today:
        raise DomainError(_("Cette habilitation est déjà terminée."), code="already_ended")
    before = locked.valid_until
    yesterday = today - datetime.timedelta(days=1)
    if locked.valid_from > yesterday:  # it had not run before today: it never runs
        locked.valid_from = yesterday
    locked.valid_until = yesterday
    locked.save(update_fields=["valid_from", "valid_until"])
    audit_record(
        "habilitation.ended",
        obj=locked,
        branch=locked.branch,
        label=str(locked.referentiel),
        details={
            "evaluator_id": locked.evaluator_id,
            "valid_until": [before.isoformat(), locked.valid_until.isoformat()],
            "reason": reason.strip(),
        },
    )


def _habilitation_state(habilitation: EvaluatorHabilitation) -> dict[str, Any]:
    """What the trail keeps of a suspension, before and after."""
    return {
        "suspended": habilitation.is_suspended,
        "suspended_at": habilitation.suspended_at.isoformat()
        if habilitation.suspended_at
        else None,
        "reason": habilitation.suspension_reason,
    }


@transaction.atomic
def habilitation_suspend(
    *, habilitation: EvaluatorHabilitation, by: Any, reason: str
) -> EvaluatorHabilitation:
    """Suspend a habilitation that has not ended, for a reason kept on it and in the trail:
    until it is lifted the evaluator is offered for no new evaluation of this CQPI (nor handed
    a grid). Grids they already hold stay theirs, grants included: staff see them on the
    evaluators page and reassign them if they choose (docs/decisions/0011)."""
    require_branch_staff(by, habilitation.branch_id)
    locked = EvaluatorHabilitation.objects.select_for_update().get(pk=habilitation.pk)
    if not reason.strip():
        raise DomainError(_("Donnez le motif de la suspension."), code="reason_required")
    if locked.valid_until < timezone.localdate():
        raise DomainError(_("Cette habilitation est déjà terminée."), code="already_ended")
    if locked.is_suspended:
        raise DomainError(_("Cette habilitation est déjà suspendue."), code="already_suspended")
    before = _habilitation_state(locked)
    locked.suspended_at = timezone.now()
    locked.suspension_reason = reason.strip()
    locked.save(update_fields=["suspended_at", "suspension_reason"])
    audit_record(
        "habilitation.suspended",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        label=str(locked.referentiel),
        details={
            "evaluator_id": locked.evaluator_id,
            "before": before,
            "after": _habilitation_state(locked),
        },
    )
    return locked


@transaction.atomic
def habilitation_lift_suspension(
    *, habilitation: EvaluatorHabilitation, by: Any, reason: str = ""
) -> EvaluatorHabilitation:
    """Lift a suspension: the evaluator is offered again, within the habilitation's period.
    The suspension's date and reason stay in the trail (the event's `before`)."""
    require_branch_staff(by, habilitation.branch_id)
    locked = EvaluatorHabilitation.objects.select_for_update().get(pk=habilitation.pk)
    if not locked.is_suspended:
        raise DomainError(_("Cette habilitation n'est pas suspendue."), code="not_suspended")
    if locked.valid_until < timezone.localdate():
        raise DomainError(_("Cette habilitation est déjà terminée."), code="already_ended")
    before = _habilitation_state(locked)
    locked.suspended_at = None
    locked.suspension_reason = ""
    locked.save(update_fields=["suspended_at", "suspension_reason"])
    audit_record(
        "habilitation.suspension_lifted",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        label=str(locked.referentiel),
        details={
            "evaluator_id": locked.evaluator_id,
            "before": before,
            "after": _habilitation_state(locked),
            "reason": reason.strip(),
        },
    )
    return locked


@transaction.atomic
def conflict_declare(
    *, branch: Branch, by: Any, evaluator: Any, company: Company, referentiel: Any, reason: str
) -> ConflictOfInterest:
    """Record that an evaluator may not evaluate this company's candidates for this CQPI (they
    trained them, work there…): from now on they are not offered for such dossiers."""
    require_branch_staff(by, branch.pk)
    if company.branch_id != branch.pk:
        raise DomainError(_("Cette entreprise relève d'une autre branche."), code="other_branch")
    if not reason.strip():
        raise DomainError(_("Donnez le motif du conflit d'intérêts."), code="reason_required")
    conflict, created = ConflictOfInterest.objects.get_or_create(
        evaluator=evaluator,
        company=company,
        referentiel=referentiel,
        defaults={"reason": reason.strip()},
    )
    if not created:
        raise DomainError(_("Ce conflit d'intérêts est déjà déclaré."), code="already_declared")
    audit_record(
        "conflict.declared",
        obj=conflict,
        branch=branch,
        label=str(company),
        details={
            "evaluator_id": evaluator.pk,
            "company_id": company.pk,
            "referentiel_id": referentiel.pk,
            "reason": reason.strip(),
        },
    )
    return conflict


@transaction.atomic
def company_register(*, branch: Branch, by: Any, name: str, siret: str, city: str) -> Company:
    """Register a company of the branch (its référents and candidates then attach to it)."""
    require_branch_staff(by, branch.pk)
    siret = normalize_siret(siret)
    if Company.objects.filter(siret=siret).exists():
        raise DomainError(
            _("Une entreprise est déjà enregistrée avec ce SIRET."), code="siret_taken"
        )
    company = Company(branch=branch, name=name.strip(), siret=siret, city=city.strip())
    company.full_clean()
    company.save()
    audit_record(
        "company.registered",
        obj=company,
        branch=branch,
        details={"siret": siret, "name": company.name, "city": company.city},
    )
    return company
