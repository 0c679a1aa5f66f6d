"""Two-factor authentication (TOTP): setup with a QR code, a check after login, per-branch enforcement."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
LOGIN = reverse("accounts:login")
DOSSIERS = reverse("candidates:dossier_list")


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def post_login(client: Any, email: str) -> Any:
    return client.post(LOGIN, {"username": email, "password": "secret-password-123"})


def with_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


# --- the setup page, four ways (no branch object: wrong role → 403) -------------------


def test_anonymous_is_sent_to_login(client: Any) -> None:
    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("who", ["candidate_user", "outsider"])
def test_people_without_a_staff_or_jury_role_get_a_403(client: Any, cast: Any, who: str) -> None:
    client.force_login(getattr(cast, who))

    assert client.get(SETUP).status_code == 403


@pytest.mark.parametrize("who", ["staff_a", "jury_employee", "admin"])
def test_staff_and_jury_see_a_qr_code_to_scan(client: Any, cast: Any, who: str) -> None:
    client.force_login(getattr(cast, who))

    response = client.get(SETUP)

    assert response.status_code == 200
    assert 'src="data:image/png;base64,' in response.content.decode()
    assert TOTPDevice.objects.filter(user=getattr(cast, who), confirmed=False).count() == 1


def test_reloading_the_setup_page_keeps_the_same_key(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    client.get(SETUP)
    client.get(SETUP)

    assert TOTPDevice.objects.filter(user=cast.staff_a).count() == 1


def test_the_right_code_confirms_the_device_and_gives_backup_codes(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=cast.staff_a)

    response = client.post(SETUP, {"token": code_for(device)})

    device.refresh_from_db()
    assert device.confirmed
    assert len(response.context["codes"]) == 10
    assert StaticToken.objects.filter(device__user=cast.staff_a).count() == 10
    assert client.get(DOSSIERS).status_code == 200  # verified in this session


def test_a_wrong_code_leaves_the_device_unconfirmed(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=cast.staff_a)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post(SETUP, {"token": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    device.refresh_from_db()
    assert not device.confirmed


def test_an_unverified_user_cannot_add_a_second_device(client: Any, cast: Any) -> None:
    with_device(cast.staff_a)
    post_login(client, "staff.a@example.test")

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=cast.staff_a).count() == 1


# --- the check after login -------------------------------------------------------------


def test_a_user_with_a_device_must_give_a_code_before_any_page(client: Any, cast: Any) -> None:
    with_device(cast.staff_a)
    post_login(client, "staff.a@example.test")

    response = client.get(DOSSIERS)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fdossiers%2F"


def test_the_right_code_lets_them_through_to_the_page_they_asked(client: Any, cast: Any) -> None:
    device = with_device(cast.staff_a)
    post_login(client, "staff.a@example.test")

    response = client.post(VERIFY, {"token": code_for(device), "next": DOSSIERS})

    assert response["Location"] == DOSSIERS
    assert client.get(DOSSIERS).status_code == 200


def test_a_wrong_code_is_refused(client: Any, cast: Any) -> None:
    device = with_device(cast.staff_a)
    post_login(client, "staff.a@example.test")

    response = client.post(VERIFY, {"token": f"{(int(code_for(device)) + 1) % 1_000_000:06d}"})

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get(DOSSIERS).status_code == 302


def test_a_backup_code_works_once(cast: Any) -> None:
    setup = Client()
    setup.force_login(cast.staff_a)
    setup.get(SETUP)
    device = TOTPDevice.objects.get(user=cast.staff_a)
    codes = setup.post(SETUP, {"token": code_for(device)}).context["codes"]

    first, second = Client(), Client()
    post_login(first, "staff.a@example.test")
    post_login(second, "staff.a@example.test")
    assert first.post(VERIFY, {"token": codes[0]}).status_code == 302
    assert second.post(VERIFY, {"token": codes[0]}).status_code == 200
    assert second.get(DOSSIERS).status_code == 302


def test_logging_out_needs_no_code(client: Any, cast: Any) -> None:
    with_device(cast.staff_a)
    post_login(client, "staff.a@example.test")

    response = client.post(reverse("accounts:logout"))

    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_the_api_answers_403_until_the_code_is_given(client: Any, cast: Any) -> None:
    with_device(cast.staff_a)
    post_login(client, "staff.a@example.test")

    response = client.get("/api/v1/")

    assert response.status_code == 403
    assert "Double authentification" in response.json()["detail"]


def test_the_verify_page_sends_users_without_a_device_to_setup(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.get(VERIFY)

    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)


def test_the_verify_page_refuses_an_outside_next(client: Any, cast: Any) -> None:
    device = with_device(cast.staff_a)
    post_login(client, "staff.a@example.test")

    response = client.post(VERIFY, {"token": code_for(device), "next": "https://attacker.example/"})

    assert response["Location"] == reverse("home")


# --- enforcement per branch ------------------------------------------------------------


@pytest.fixture
def strict_branch(cast: Any) -> Any:
    cast.branch_a.require_two_factor = True
    cast.branch_a.save()
    return cast.branch_a


@pytest.mark.parametrize("email", ["staff.a@example.test", "jury.employeur@example.test"])
def test_staff_and_jury_of_a_strict_branch_must_set_up_a_device(
    client: Any, cast: Any, strict_branch: Any, email: str
) -> None:
    post_login(client, email)

    response = client.get(reverse("evaluations:session_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(SETUP + "?next=")


def test_once_set_up_the_strict_branch_staff_reach_their_pages(
    client: Any, cast: Any, strict_branch: Any
) -> None:
    post_login(client, "staff.a@example.test")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=cast.staff_a)
    client.post(SETUP, {"token": code_for(device)})

    assert client.get(DOSSIERS).status_code == 200


@pytest.mark.parametrize(
    "email", ["staff.b@example.test", "candidat@example.test", "evaluateur@example.test"]
)
def test_people_outside_the_strict_branch_staff_and_jury_are_not_asked(
    client: Any, cast: Any, strict_branch: Any, email: str
) -> None:
    post_login(client, email)

    response = client.get(reverse("home"))

    assert not response.get("Location", "").startswith((SETUP, VERIFY))


def test_an_inactive_membership_does_not_require_a_device(
    client: Any, cast: Any, strict_branch: Any
) -> None:
    cast.staff_a.memberships.update(is_active=False)
    post_login(client, "staff.a@example.test")

    response = client.get(reverse("home"))

    assert not response.get("Location", "").startswith(SETUP)


def test_the_setup_page_shows_the_key_for_manual_entry(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    page = client.get(SETUP).content.decode()

    assert re.search(r"<code>([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>", page)


def test_switching_the_requirement_on_ends_the_sessions_of_its_staff_and_jury(cast: Any) -> None:
    staff, jury, foreign = Client(), Client(), Client()
    staff.force_login(cast.staff_a)
    jury.force_login(cast.jury_employer)
    foreign.force_login(cast.staff_b)

    cast.branch_a.require_two_factor = True
    cast.branch_a.save()

    assert staff.get(DOSSIERS)["Location"].startswith(LOGIN)
    assert jury.get(reverse("evaluations:session_list"))["Location"].startswith(LOGIN)
    assert foreign.get(DOSSIERS).status_code == 200


def test_saving_a_strict_branch_again_keeps_the_sessions(
    client: Any, cast: Any, strict_branch: Any
) -> None:
    post_login(client, "staff.b@example.test")
    client.force_login(cast.staff_a)

    strict_branch.name = "Branche Alpha renommée"
    strict_branch.save()

    assert client.get(DOSSIERS)["Location"].startswith(SETUP)


# --- enforcement by the deployment (TWO_FACTOR_REQUIRED_ROLES) ---------------------------


def test_a_national_administrator_must_set_up_a_device_when_the_deployment_says_so(
    client: Any, cast: Any, settings: Any
) -> None:
    settings.TWO_FACTOR_REQUIRED_ROLES = ["national_admin"]
    post_login(client, "admin@example.test")

    for url in (reverse("home"), "/admin/", "/admin/candidates/dossier/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(SETUP + "?next="), url


def test_the_admin_login_page_is_a_door_like_the_others(client: Any, cast: Any) -> None:
    """Logging in through /admin/login/ with a device still asks for the code."""
    with_device(cast.admin)
    client.post(
        "/admin/login/", {"username": "admin@example.test", "password": "secret-password-123"}
    )

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY + "?next=")


@pytest.mark.parametrize(
    ("roles", "asked", "not_asked"),
    [
        (
            ["staff"],
            ["staff.a@example.test", "staff.b@example.test"],
            ["jury.employeur@example.test"],
        ),
        (["jury"], ["jury.employeur@example.test"], ["staff.a@example.test", "admin@example.test"]),
        ([], [], ["staff.a@example.test", "jury.employeur@example.test", "admin@example.test"]),
    ],
)
def test_the_deployment_requires_it_of_the_roles_it_names(
    cast: Any, settings: Any, roles: list[str], asked: list[str], not_asked: list[str]
) -> None:
    settings.TWO_FACTOR_REQUIRED_ROLES = roles
    for email in asked + not_asked:
        client = Client()
        post_login(client, email)
        location = client.get(reverse("home")).get("Location", "")
        assert location.startswith(SETUP) == (email in asked), email


def test_an_evaluator_or_a_candidate_is_never_required_by_the_staff_rule(
    client: Any, cast: Any, settings: Any
) -> None:
    settings.TWO_FACTOR_REQUIRED_ROLES = ["national_admin", "staff", "jury"]
    for email in ("evaluateur@example.test", "candidat@example.test", "referent.a@example.test"):
        client = Client()
        post_login(client, email)
        assert not client.get(reverse("home")).get("Location", "").startswith(SETUP), email


def test_an_unknown_role_in_the_setting_stops_the_checks(settings: Any) -> None:
    from django.core import checks

    settings.TWO_FACTOR_REQUIRED_ROLES = ["staff", "évaluateur"]

    errors = [e for e in checks.run_checks() if e.id == "accounts.E001"]

    assert errors and "évaluateur" in errors[0].msg
