"""Inviting a candidate: staff of the branch send a one-time activation link; it opens the space."""

import datetime
import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from candidates.services import candidate_invite
from core.errors import DomainError
from tests.factories import CandidateFactory, DossierFactory
from tests.workflow import open_dossier

pytestmark = pytest.mark.django_db

PASSWORD = "Mon-espace-candidat-2026"


@pytest.fixture
def newcomer(cast: Any) -> Any:
    return CandidateFactory.create(
        branch=cast.branch_a, first_name="Inès", last_name="Nouvelle", email="ines@example.test"
    )


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Runs what the invite schedules for after its transaction: the mail."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def invite(on_commit: Any, candidate: Any, by: Any) -> Any:
    with on_commit():
        return candidate_invite(candidate=candidate, by=by)


def invite_url(candidate: Any) -> str:
    return reverse("candidates:candidate_invite", args=[candidate.pk])


def activation_path() -> str:
    match = re.search(r"https?://\S+", str(mail.outbox[-1].body))
    assert match
    return match.group(0).removeprefix(settings.SITE_URL)


def activate(client: Any, path: str) -> Any:
    return client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})


# --- the invite URL, four ways -------------------------------------------------


def test_anonymous_is_sent_to_login(client: Any, newcomer: Any) -> None:
    response = client.post(invite_url(newcomer))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_of_another_branch_get_a_404(client: Any, cast: Any, newcomer: Any) -> None:
    client.force_login(cast.staff_b)

    assert client.post(invite_url(newcomer)).status_code == 404
    assert mail.outbox == []


def test_the_candidate_cannot_invite_themselves(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)

    assert client.post(invite_url(cast.candidate)).status_code == 403
    assert mail.outbox == []


def test_staff_of_the_branch_invite_and_the_candidate_gets_a_link(
    client: Any, cast: Any, newcomer: Any, on_commit: Any
) -> None:
    client.force_login(cast.staff_a)

    with on_commit():
        response = client.post(invite_url(newcomer), {"next": "/dossiers/"})

    assert response.status_code == 302
    assert response["Location"] == "/dossiers/"
    newcomer.refresh_from_db()
    assert newcomer.user.email == "ines@example.test"
    assert not newcomer.user.has_usable_password()
    assert mail.outbox[0].to == ["ines@example.test"]
    assert "/comptes/activer/" in mail.outbox[0].body


def test_the_invite_needs_a_post(client: Any, cast: Any, newcomer: Any) -> None:
    client.force_login(cast.staff_a)

    assert client.get(invite_url(newcomer)).status_code == 405


def test_an_outside_next_address_is_ignored(client: Any, cast: Any, newcomer: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(invite_url(newcomer), {"next": "https://attacker.example/"})

    assert response["Location"] == reverse("candidates:dossier_list")


def test_the_dossier_page_offers_the_invitation(client: Any, cast: Any, newcomer: Any) -> None:
    dossier: Any = DossierFactory.create(candidate=newcomer, version=cast.version)
    client.force_login(cast.staff_a)

    page = client.get(reverse("candidates:dossier_detail", args=[dossier.pk])).content.decode()

    assert invite_url(newcomer) in page


# --- activation ---------------------------------------------------------------


def test_the_activation_link_sets_the_password_and_opens_the_space(
    client: Any, cast: Any, newcomer: Any, on_commit: Any
) -> None:
    invite(on_commit, newcomer, cast.staff_a)
    path = activation_path()

    assert client.get(path).status_code == 200
    response = activate(client, path)

    assert response["Location"] == reverse("space:home")
    assert client.get(reverse("space:home")).status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.user.check_password(PASSWORD)


def test_an_activation_link_serves_once(
    client: Any, cast: Any, newcomer: Any, on_commit: Any
) -> None:
    invite(on_commit, newcomer, cast.staff_a)
    path = activation_path()
    activate(client, path)
    client.post(reverse("accounts:logout"))

    again = client.get(path)

    assert again.status_code == 400
    assert "Ce lien d'activation n'est plus valable" in again.content.decode()
    assert activate(client, path).status_code == 400


def test_an_activation_link_expires(
    client: Any, cast: Any, newcomer: Any, monkeypatch: Any, on_commit: Any
) -> None:
    invite(on_commit, newcomer, cast.staff_a)
    later = datetime.datetime.now() + datetime.timedelta(seconds=settings.INVITATION_TIMEOUT + 60)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)

    assert client.get(activation_path()).status_code == 400


def test_a_password_reset_token_does_not_activate(
    client: Any, cast: Any, newcomer: Any, on_commit: Any
) -> None:
    user = invite(on_commit, newcomer, cast.staff_a)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)

    assert client.get(reverse("accounts:activate", args=[uid, token])).status_code == 400


def test_a_weak_password_keeps_the_link_alive(
    client: Any, cast: Any, newcomer: Any, on_commit: Any
) -> None:
    invite(on_commit, newcomer, cast.staff_a)
    path = activation_path()

    response = client.post(path, {"new_password1": "password", "new_password2": "password"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(path).status_code == 200


def test_an_existing_account_with_the_email_is_linked(
    cast: Any, newcomer: Any, on_commit: Any
) -> None:
    existing = User.objects.create_user(email="INES@example.test", password="whatever-long-1")

    user = invite(on_commit, newcomer, cast.staff_a)

    assert user == existing
    newcomer.refresh_from_db()
    assert newcomer.user == existing


def test_an_activated_candidate_is_not_invited_again(cast: Any, on_commit: Any) -> None:
    cast.candidate.email = "candidat@example.test"
    cast.candidate.save()

    with pytest.raises(DomainError) as refused:
        invite(on_commit, cast.candidate, cast.staff_a)

    assert refused.value.code == "already_active"
    assert mail.outbox == []


def test_a_candidate_without_email_cannot_be_invited(client: Any, cast: Any, newcomer: Any) -> None:
    newcomer.email = ""
    newcomer.save()
    client.force_login(cast.staff_a)

    response = client.post(invite_url(newcomer), follow=True)

    assert "Renseignez d'abord l'adresse e-mail du candidat." in html.unescape(
        response.content.decode()
    )
    assert mail.outbox == []


def test_a_weak_password_is_refused_under_the_password_field_not_its_confirmation(
    client: Any, cast: Any, newcomer: Any, on_commit: Any
) -> None:
    invite(on_commit, newcomer, cast.staff_a)
    path = activation_path()

    response = client.post(path, {"new_password1": "123", "new_password2": "123"})

    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors["new_password1"] and "new_password2" not in form.errors
    mismatch = client.post(
        path, {"new_password1": "Un-mot-de-passe-long-42", "new_password2": "autre-chose-42"}
    )
    assert list(mismatch.context["form"].errors) == ["new_password2"]


# --- the invitation goes with the dossier's opening -----------------------------------------


def test_opening_a_dossier_invites_a_candidate_whose_email_is_known(
    client: Any, cast: Any, newcomer: Any, on_commit: Any
) -> None:
    with on_commit():
        open_dossier(cast, candidate=newcomer)

    assert [message.to for message in mail.outbox] == [["ines@example.test"]]
    newcomer.refresh_from_db()
    assert newcomer.user is not None and not newcomer.user.has_usable_password()
    assert activate(client, activation_path())["Location"] == reverse("space:home")


def test_opening_another_dossier_for_an_active_candidate_sends_no_invitation(
    cast: Any, on_commit: Any
) -> None:
    with on_commit():
        open_dossier(cast)  # cast.candidate logs in with a password already

    assert mail.outbox == []


def test_an_address_of_an_account_in_use_is_left_to_the_staff(cast: Any, on_commit: Any) -> None:
    other = CandidateFactory.create(branch=cast.branch_a, email=cast.evaluator.email)
    with on_commit():
        dossier = open_dossier(cast, candidate=other)

    assert dossier.pk and mail.outbox == []
    other.refresh_from_db()
    assert other.user is None
