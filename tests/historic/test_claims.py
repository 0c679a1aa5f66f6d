"""The holder's claim of a certificate issued before the platform: the CPNE invites, the holder
confirms their birth date, the record joins their person and their ledger."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from candidates import ledger
from candidates.models import PersonAction, PersonEvent
from core.errors import DomainError
from historic import claims, services
from historic.models import HistoricCertificate
from tests.factories import PersonFactory
from tests.factories_historic import HistoricCertificateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(cast: Any) -> HistoricCertificate:
    """A record of branch A whose holder is the cast's candidate, imported with a person of
    its own (the import did not know them)."""
    candidate = cast.candidate
    return HistoricCertificateFactory.create(
        branch=cast.branch_a,
        referentiel=cast.referentiel,
        number="ALP-2008-00042",
        last_name=candidate.last_name,
        first_name=candidate.first_name,
        birth_date=candidate.birth_date,
        birth_place=candidate.birth_place,
        capacities=["C1.1", "C1.2"],
        person=PersonFactory.create(
            last_name=candidate.last_name,
            first_name=candidate.first_name,
            birth_date=candidate.birth_date,
            birth_place=candidate.birth_place,
        ),
    )


def invited(record: HistoricCertificate, cast: Any) -> HistoricCertificate:
    services.historic_claim_invite(record=record, email="lea@example.test", by=cast.staff_a)
    record.refresh_from_db()
    return record


def claim_url(record: HistoricCertificate) -> str:
    return reverse("historic:claim", kwargs={"token": claims.claim_token(record)})


def invite_url(record: HistoricCertificate) -> str:
    return reverse("historic:claim_invite", args=[record.pk])


def born(record: HistoricCertificate, days: int = 0) -> str:
    return (record.birth_date + datetime.timedelta(days=days)).strftime("%d/%m/%Y")


# --- The invitation -------------------------------------------------------------------------


def test_staff_invite_the_holder_with_a_signed_link_by_email(
    client: Any, cast: Any, record: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(record), {"email": " lea@example.test "})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.claim_email == "lea@example.test"
    assert record.claim_invited_by == cast.staff_a and record.claim_invited_at is not None
    (message,) = mail.outbox
    assert message.to == ["lea@example.test"]
    assert "ALP-2008-00042" in message.subject and "Revendiquez" in message.subject
    assert "30 jours" in message.body
    # The link in the message opens the claim for the holder.
    (link,) = re.findall(r"https?://\S+/revendiquer/\S+/", str(message.body))
    assert claims.claim_record(link.rstrip("/").rsplit("/", 1)[1]) == record
    event = AuditEvent.objects.get(action="historic.claim_invite")
    assert (event.branch_id, event.actor_id) == (cast.branch_a.pk, cast.staff_a.pk)
    assert "lea@example.test" not in str(event.details)
    # The staff see the invitation on the record's page.
    page = client.get(reverse("historic:historic_detail", args=[record.pk])).content.decode()
    assert "Invitation envoyée le" in page and "lea@example.test" in page


def test_a_bad_address_is_refused_in_french_and_kept(client: Any, cast: Any, record: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(invite_url(record), {"email": "lea@"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Saisissez une adresse e-mail valide." in page and 'value="lea@"' in page
    assert mail.outbox == []
    with pytest.raises(DomainError, match="adresse e-mail valide"):
        services.historic_claim_invite(record=record, email="pas une adresse", by=cast.staff_a)


def test_the_invitation_is_refused_to_other_branches_and_roles(
    client: Any, cast: Any, record: Any
) -> None:
    url = invite_url(record)
    data = {"email": "lea@example.test"}
    response = client.post(url, data)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client.force_login(cast.staff_b)
    assert client.post(url, data).status_code == 404
    for who in (cast.evaluator, cast.candidate_user, cast.coc_observer):
        client.force_login(who)
        assert client.post(url, data).status_code == 403
    with pytest.raises(PermissionDenied):
        services.historic_claim_invite(record=record, email="lea@example.test", by=cast.staff_b)
    record.refresh_from_db()
    assert record.claim_invited_at is None and mail.outbox == []
    client.force_login(cast.admin)
    assert client.post(url, data).status_code == 302


# --- The claim ------------------------------------------------------------------------------


def test_the_holder_claims_the_record_which_joins_their_person_and_ledger(
    client: Any, cast: Any, record: Any
) -> None:
    invited(record, cast)
    imported_person = record.person
    client.force_login(cast.candidate_user)
    url = claim_url(record)
    page = client.get(url)
    assert page.status_code == 200 and "ALP-2008-00042" in page.content.decode()
    response = client.post(url, {"birth_date": born(record)})
    assert response.status_code == 302 and response["Location"] == reverse("space:ledger")
    record.refresh_from_db()
    person = cast.candidate.person
    assert record.person_id == person.pk
    assert record.claimed_by == cast.candidate_user and record.claimed_at is not None
    # The person the import created, tied to nothing else, is merged into the holder's.
    imported_person.refresh_from_db()
    assert imported_person.merged_into_id == person.pk
    claimed = PersonEvent.objects.get(person=person, action=PersonAction.CLAIMED)
    assert claimed.consent_at is not None and claimed.by == cast.candidate_user
    assert claimed.other_person_id == imported_person.pk
    assert AuditEvent.objects.filter(action="person.claim_merge").count() == 1
    event = AuditEvent.objects.get(action="historic.claim")
    assert event.details["merged"] is True and event.actor_id == cast.candidate_user.pk
    # The ledger shows it, marked as issued before the platform.
    (entry,) = ledger.person_ledger(person)
    assert entry.before_platform and entry.number == "ALP-2008-00042"
    assert entry.listed_capacities == ("C1.1", "C1.2")
    assert entry.branch_name == cast.branch_a.name
    mine = client.get(reverse("space:ledger")).content.decode()
    assert "ALP-2008-00042" in mine and "Délivré avant la plateforme" in mine
    assert "C1.1, C1.2" in mine
    # And so does the staff's view of the candidate's ledger.
    client.force_login(cast.staff_a)
    staff_view = client.get(reverse("candidates:candidate_ledger", args=[cast.candidate.pk]))
    assert "ALP-2008-00042" in staff_view.content.decode()
    # The staff see it claimed.
    detail = client.get(reverse("historic:historic_detail", args=[record.pk])).content.decode()
    assert "Revendiqué par son titulaire le" in detail


def test_a_wrong_birth_date_is_refused_in_french_counted_and_audited(
    client: Any, cast: Any, record: Any
) -> None:
    invited(record, cast)
    client.force_login(cast.candidate_user)
    response = client.post(claim_url(record), {"birth_date": born(record, days=1)})
    assert response.status_code == 400
    assert (
        "La date de naissance ne correspond pas à celle du titulaire de ce certificat."
        in response.content.decode()
    )
    record.refresh_from_db()
    assert record.claimed_at is None and record.claim_failures == 1
    assert record.person_id != cast.candidate.person_id
    event = AuditEvent.objects.get(action="historic.claim_refused")
    assert event.actor_id == cast.candidate_user.pk and event.details == {"failures": 1}
    assert not AuditEvent.objects.filter(action="historic.claim").exists()


def test_tries_are_limited_until_a_new_invitation(cast: Any, record: Any) -> None:
    invited(record, cast)
    wrong = record.birth_date + datetime.timedelta(days=3)
    for _ in range(services.CLAIM_MAX_FAILURES):
        with pytest.raises(DomainError, match="ne correspond pas"):
            services.historic_claim(record=record, user=cast.candidate_user, birth_date=wrong)
    with pytest.raises(DomainError, match="Trop d'essais refusés"):
        services.historic_claim(
            record=record, user=cast.candidate_user, birth_date=record.birth_date
        )
    record.refresh_from_db()
    assert record.claim_failures == services.CLAIM_MAX_FAILURES
    invited(record, cast)
    services.historic_claim(record=record, user=cast.candidate_user, birth_date=record.birth_date)
    record.refresh_from_db()
    assert record.claimed_at is not None


def test_an_expired_tampered_or_replaced_link_opens_nothing(
    client: Any, cast: Any, record: Any, settings: Any
) -> None:
    invited(record, cast)
    client.force_login(cast.candidate_user)
    good = claims.claim_token(record)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    forged = signing.dumps({"r": record.pk, "i": "2020-01-01T00:00:00+00:00"}, salt="other")
    for token in (tampered, forged, "pas-un-jeton"):
        response = client.post(
            reverse("historic:claim", kwargs={"token": token}), {"birth_date": born(record)}
        )
        assert response.status_code == 400
        assert "Ce lien n'est plus valable" in response.content.decode()
    # Expired: the signature is older than the invitation's life.
    settings.HISTORIC_CLAIM_TIMEOUT = -1
    assert client.get(claim_url(record)).status_code == 400
    with pytest.raises(DomainError, match="a expiré"):
        services.historic_claim(
            record=record, user=cast.candidate_user, birth_date=record.birth_date
        )
    settings.HISTORIC_CLAIM_TIMEOUT = 86400
    # Replaced: a new invitation kills the previous link.
    old = claim_url(record)
    HistoricCertificate.objects.filter(pk=record.pk).update(
        claim_invited_at=record.claim_invited_at - datetime.timedelta(minutes=5)
    )
    assert client.get(old).status_code == 400
    record.refresh_from_db()
    assert record.claimed_at is None


def test_only_a_signed_in_candidate_may_claim(client: Any, cast: Any, record: Any) -> None:
    invited(record, cast)
    url = claim_url(record)
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    for who in (cast.staff_a, cast.evaluator, cast.outsider):
        client.force_login(who)
        response = client.post(url, {"birth_date": born(record)})
        assert response.status_code == 403
        assert "connectez-vous avec votre compte candidat" in response.content.decode()
    with pytest.raises(PermissionDenied):
        services.historic_claim(record=record, user=cast.staff_a, birth_date=record.birth_date)
    record.refresh_from_db()
    assert record.claimed_at is None and record.claim_failures == 0


def test_another_candidate_with_another_birth_date_cannot_take_it(cast: Any, record: Any) -> None:
    invited(record, cast)
    # They know the holder's birth date, but their own person was born another day.
    with pytest.raises(DomainError, match="diffère de celle du certificat"):
        services.historic_claim(
            record=record, user=cast.other_candidate_user, birth_date=record.birth_date
        )
    record.refresh_from_db()
    assert record.claimed_at is None


def test_a_person_tied_to_other_records_is_not_merged_the_record_moves_alone(
    cast: Any, record: Any
) -> None:
    imported_person = record.person
    sibling = HistoricCertificateFactory.create(
        branch=cast.branch_a, referentiel=cast.referentiel, person=imported_person
    )
    invited(record, cast)
    services.historic_claim(record=record, user=cast.candidate_user, birth_date=record.birth_date)
    record.refresh_from_db()
    imported_person.refresh_from_db()
    assert record.person_id == cast.candidate.person_id
    assert imported_person.merged_into_id is None
    sibling.refresh_from_db()
    assert sibling.person_id == imported_person.pk
    assert not AuditEvent.objects.filter(action="person.claim_merge").exists()
    event = PersonEvent.objects.get(person=cast.candidate.person, action=PersonAction.CLAIMED)
    assert event.other_person_id == imported_person.pk and "ALP-2008-00042" in event.comment


def test_a_claimed_record_is_not_claimed_or_invited_again(cast: Any, record: Any) -> None:
    invited(record, cast)
    services.historic_claim(record=record, user=cast.candidate_user, birth_date=record.birth_date)
    with pytest.raises(DomainError, match="déjà été revendiqué"):
        services.historic_claim(
            record=record, user=cast.candidate_user, birth_date=record.birth_date
        )
    with pytest.raises(DomainError, match="déjà été revendiqué"):
        invited(record, cast)


def test_a_record_without_a_person_joins_the_holders(cast: Any, record: Any) -> None:
    HistoricCertificate.objects.filter(pk=record.pk).update(person=None)
    record.refresh_from_db()
    invited(record, cast)
    services.historic_claim(record=record, user=cast.candidate_user, birth_date=record.birth_date)
    record.refresh_from_db()
    assert record.person_id == cast.candidate.person_id
    event = PersonEvent.objects.get(action=PersonAction.CLAIMED)
    assert event.other_person_id is None and event.person_id == cast.candidate.person_id


def test_a_record_already_of_the_holders_person_is_claimed_without_a_merge(
    cast: Any, record: Any
) -> None:
    HistoricCertificate.objects.filter(pk=record.pk).update(person=cast.candidate.person)
    record.refresh_from_db()
    invited(record, cast)
    services.historic_claim(record=record, user=cast.candidate_user, birth_date=record.birth_date)
    record.refresh_from_db()
    assert record.person_id == cast.candidate.person_id and record.claimed_at is not None
    assert not AuditEvent.objects.filter(action="person.claim_merge").exists()
    assert AuditEvent.objects.get(action="historic.claim").details["previous_person"] == (
        cast.candidate.person_id
    )
