"""The national person: exact matching, linking only with confirmation and consent, merging."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from candidates import selectors, services
from candidates.models import Candidate, Person, PersonAction, PersonEvent
from core.errors import DomainError
from core.identity import normalise_name, normalised_identity

BORN = datetime.date(1990, 5, 17)


def _register(cast: Any, branch: Any, by: Any, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "last_name": "Lefèvre-Dupont",
        "first_name": "Élodie",
        "birth_date": BORN,
        "birth_place": "Lille",
        "birth_insee_code": "59350",
        "birth_country_code": "100",
    }
    values.update(extra)
    return services.candidate_create(branch_id=branch.pk, by=by, **values)


def test_names_are_normalised_for_accents_case_and_hyphens() -> None:
    assert normalise_name("Lefèvre-Dupont") == normalise_name("LEFEVRE  dupont")
    assert normalise_name("D'Œillet") == "d oeillet"
    assert normalise_name("Lefèvre") != normalise_name("Lefebvre")


def test_a_match_needs_the_same_birth_place() -> None:
    one = normalised_identity(
        last_name="Martin", first_name="Léa", birth_date=BORN, birth_insee_code="59350"
    )
    same = normalised_identity(
        last_name="MARTIN", first_name="Lea", birth_date=BORN, birth_insee_code="59350"
    )
    elsewhere = normalised_identity(
        last_name="Martin", first_name="Léa", birth_date=BORN, birth_insee_code="75056"
    )
    by_label = normalised_identity(
        last_name="Martin", first_name="Léa", birth_date=BORN, birth_place="Lille"
    )
    assert one.matches(same)
    assert not one.matches(elsewhere)
    # One record has no commune code: the labels decide, and one has none here.
    assert not one.matches(by_label)
    assert by_label.matches(
        normalised_identity(
            last_name="martin", first_name="LEA", birth_date=BORN, birth_place="LILLE"
        )
    )


def test_a_new_candidate_gets_a_person_of_their_own(cast: Any) -> None:
    candidate = _register(cast, cast.branch_a, cast.staff_a)
    assert candidate.person is not None
    assert candidate.person.last_name == "Lefèvre-Dupont"
    assert PersonEvent.objects.filter(
        person=candidate.person, action=PersonAction.CREATED, candidate=candidate
    ).exists()


def test_the_same_identity_in_another_branch_is_proposed_not_linked(cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    identity = normalised_identity(
        last_name="LEFEVRE DUPONT",
        first_name="elodie",
        birth_date=BORN,
        birth_place="Lille",
        birth_insee_code="59350",
    )
    assert selectors.person_matches(identity) == [first.person]
    # Without the staff's confirmation (no person given), a separate record is made.
    second = _register(cast, cast.branch_b, cast.staff_b)
    assert second.person_id != first.person_id


def test_linking_needs_the_persons_consent(cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    with pytest.raises(DomainError) as refused:
        _register(cast, cast.branch_b, cast.staff_b, person=first.person)
    assert refused.value.code == "consent_required"
    assert Candidate.objects.filter(branch=cast.branch_b).count() == 0


def test_linking_with_consent_records_who_and_when(cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    consent = timezone.now() - datetime.timedelta(days=1)
    second = _register(cast, cast.branch_b, cast.staff_b, person=first.person, consent_at=consent)
    assert second.person_id == first.person_id
    event = PersonEvent.objects.get(action=PersonAction.LINKED, candidate=second)
    assert (event.by, event.consent_at) == (cast.staff_b, consent)
    assert AuditEvent.objects.filter(action="person.link", actor=cast.staff_b).exists()


def test_no_link_to_a_person_of_another_identity(cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    with pytest.raises(DomainError) as refused:
        _register(
            cast,
            cast.branch_b,
            cast.staff_b,
            birth_date=BORN + datetime.timedelta(days=1),
            person=first.person,
            consent_at=timezone.now(),
        )
    assert refused.value.code == "person_mismatch"


# --- Identity corrections and the person ---------------------------------------------------


def test_a_correction_is_carried_to_a_person_known_through_this_candidate_only(
    cast: Any,
) -> None:
    candidate = _register(cast, cast.branch_a, cast.staff_a)
    person = candidate.person
    services.candidate_identity_update(
        candidate=candidate,
        by=cast.staff_a,
        changes={"last_name": "Lefebvre-Dupont", "usage_name": "Martin", "sex": "F"},
    )
    person.refresh_from_db()
    assert (person.last_name, person.usage_name) == ("Lefebvre-Dupont", "Martin")
    assert person.identity_key == person.identity().key
    assert person.identity_key.startswith("lefebvre dupont|elodie|")
    # The person is found under the corrected name, no longer under the old one.
    corrected = normalised_identity(
        last_name="Lefebvre-Dupont",
        first_name="Élodie",
        birth_date=BORN,
        birth_place="Lille",
        birth_insee_code="59350",
    )
    assert selectors.person_matches(corrected) == [person]
    event = PersonEvent.objects.get(action=PersonAction.IDENTITY_CORRECTED)
    assert (event.person, event.candidate, event.by) == (person, candidate, cast.staff_a)
    assert event.comment == "last_name, usage_name"  # the fields, not the values
    audit = AuditEvent.objects.get(action="candidate.identity_updated")
    assert audit.details == {
        "fields": ["last_name", "sex", "usage_name"],
        "person": person.pk,
        "person_updated": True,
    }


def test_a_correction_of_what_the_person_does_not_hold_leaves_it_alone(cast: Any) -> None:
    candidate = _register(cast, cast.branch_a, cast.staff_a)
    services.candidate_identity_update(candidate=candidate, by=cast.staff_a, changes={"sex": "F"})
    assert not PersonEvent.objects.exclude(action=PersonAction.CREATED).exists()
    audit = AuditEvent.objects.get(action="candidate.identity_updated")
    assert audit.details == {"fields": ["sex"]}


def test_a_correction_by_one_branch_does_not_rewrite_a_shared_person(cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    second = _register(
        cast, cast.branch_b, cast.staff_b, person=first.person, consent_at=timezone.now()
    )
    person = first.person
    key = person.identity_key
    services.candidate_identity_update(
        candidate=second, by=cast.staff_b, changes={"birth_date": BORN + datetime.timedelta(1)}
    )
    person.refresh_from_db()
    first.refresh_from_db()
    # The person and branch A's record are as they were; branch B's record is corrected.
    assert (person.birth_date, person.identity_key, first.birth_date) == (BORN, key, BORN)
    second.refresh_from_db()
    assert second.birth_date == BORN + datetime.timedelta(1)
    assert second.person_id == person.pk  # not unlinked behind the holder's back
    event = PersonEvent.objects.get(action=PersonAction.IDENTITY_DIFFERS)
    assert (event.person, event.candidate, event.by, event.comment) == (
        person,
        second,
        cast.staff_b,
        "birth_date",
    )
    audit = AuditEvent.objects.get(action="candidate.identity_updated")
    assert audit.details == {
        "fields": ["birth_date"],
        "person": person.pk,
        "person_updated": False,
        "person_matches": False,
    }


def test_a_spelling_correction_of_a_shared_person_is_recorded_as_still_matching(
    cast: Any,
) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    second = _register(
        cast, cast.branch_b, cast.staff_b, person=first.person, consent_at=timezone.now()
    )
    # The usage name is no part of the match: the person still matches, and is still kept.
    services.candidate_identity_update(
        candidate=second, by=cast.staff_b, changes={"usage_name": "Martin"}
    )
    first.person.refresh_from_db()
    assert first.person.usage_name == ""
    audit = AuditEvent.objects.get(action="candidate.identity_updated")
    assert (audit.details["person_updated"], audit.details["person_matches"]) == (False, True)


def _open_form(cast: Any, **extra: Any) -> dict[str, Any]:
    return {
        "branch": cast.branch_b.pk,
        "last_name": "LEFEVRE DUPONT",
        "first_name": "Elodie",
        "birth_date": BORN.isoformat(),
        "birth_place": "Lille",
        "birth_insee_code": "59350",
        "birth_country_code": "100",
        "version": cast.version.pk,
        "access_route": "continuing",
        **extra,
    }


def test_the_open_form_proposes_the_match_and_waits_for_a_choice(client: Any, cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    client.force_login(cast.staff_b)
    response = client.post(reverse("candidates:dossier_open"), _open_form(cast))
    assert response.status_code == 200
    assert first.person.national_number in response.content.decode()
    assert not Candidate.objects.filter(branch=cast.branch_b).exists()
    # Choosing to link without the consent is refused too.
    response = client.post(
        reverse("candidates:dossier_open"),
        _open_form(cast, person_match=first.person.pk, person_choice="link"),
    )
    assert response.status_code == 200
    assert not Candidate.objects.filter(branch=cast.branch_b).exists()


def test_the_open_form_links_with_consent(client: Any, cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    client.force_login(cast.staff_b)
    response = client.post(
        reverse("candidates:dossier_open"),
        _open_form(
            cast,
            person_match=first.person.pk,
            person_choice="link",
            consent="on",
            consent_on=timezone.localdate().isoformat(),
        ),
    )
    assert response.status_code == 302
    assert Candidate.objects.get(branch=cast.branch_b).person_id == first.person_id


def test_the_open_form_keeps_a_separate_record_on_request(client: Any, cast: Any) -> None:
    first = _register(cast, cast.branch_a, cast.staff_a)
    client.force_login(cast.staff_b)
    response = client.post(
        reverse("candidates:dossier_open"),
        _open_form(cast, person_match=first.person.pk, person_choice="separate"),
    )
    assert response.status_code == 302
    assert Candidate.objects.get(branch=cast.branch_b).person_id != first.person_id


def test_merge_keeps_every_history_and_audit_row(cast: Any) -> None:
    kept = _register(cast, cast.branch_a, cast.staff_a)
    duplicate = _register(cast, cast.branch_b, cast.staff_b, email="elodie@example.test")
    absorbed = duplicate.person
    events_before = set(PersonEvent.objects.values_list("pk", flat=True))
    audit_before = set(AuditEvent.objects.values_list("pk", flat=True))

    services.person_merge(
        keep=kept.person, absorb=absorbed, reason="Doublon constaté", by=cast.admin
    )

    duplicate.refresh_from_db()
    absorbed.refresh_from_db()
    kept.person.refresh_from_db()
    assert duplicate.person_id == kept.person_id
    assert absorbed.merged_into_id == kept.person_id
    assert kept.person.email == "elodie@example.test"  # an empty field filled
    assert events_before <= set(PersonEvent.objects.values_list("pk", flat=True))
    assert audit_before <= set(AuditEvent.objects.values_list("pk", flat=True))
    assert PersonEvent.objects.filter(person=absorbed, action=PersonAction.MERGED_AWAY).exists()
    assert PersonEvent.objects.filter(person=kept.person, action=PersonAction.ABSORBED).exists()
    merge = AuditEvent.objects.get(action="person.merge")
    assert merge.details["absorbed"] == absorbed.pk
    # The absorbed person stays, and is matched no more.
    assert Person.objects.filter(pk=absorbed.pk).exists()
    assert absorbed not in selectors.person_matches(kept.identity())


def test_only_a_national_administrator_merges(cast: Any) -> None:
    one = _register(cast, cast.branch_a, cast.staff_a)
    two = _register(cast, cast.branch_b, cast.staff_b)
    with pytest.raises(PermissionDenied):
        services.person_merge(keep=one.person, absorb=two.person, reason="x", by=cast.staff_a)
    with pytest.raises(DomainError):
        services.person_merge(keep=one.person, absorb=two.person, reason=" ", by=cast.admin)
    services.person_merge(keep=one.person, absorb=two.person, reason="Doublon", by=cast.admin)
    with pytest.raises(DomainError):
        services.person_merge(keep=two.person, absorb=one.person, reason="Doublon", by=cast.admin)


def test_staff_see_only_the_persons_of_their_branches(cast: Any) -> None:
    a = _register(cast, cast.branch_a, cast.staff_a)
    assert a.person in Person.objects.visible_to(cast.staff_a)
    assert a.person not in Person.objects.visible_to(cast.staff_b)
    assert a.person not in Person.objects.visible_to(cast.outsider)
    assert a.person in Person.objects.visible_to(cast.admin)


def test_the_migration_gives_each_existing_candidate_a_person_of_its_own(cast: Any) -> None:
    import importlib

    from django.apps import apps

    from tests.factories import CandidateFactory

    migration = importlib.import_module("candidates.migrations.0011_person_per_candidate")
    twins = [
        CandidateFactory.create(
            branch=branch, person=None, last_name="Roux", first_name="Ana", birth_date=BORN
        )
        for branch in (cast.branch_a, cast.branch_b)
    ]
    migration.forwards(apps, None)
    persons: list[Any] = [Candidate.objects.get(pk=c.pk).person for c in twins]
    assert None not in persons
    # The same identity in two branches: two persons, never linked automatically.
    assert persons[0].pk != persons[1].pk
    assert persons[0].identity().matches(twins[0].identity())


def test_the_merge_page_is_the_national_administrators(client: Any, cast: Any) -> None:
    one = _register(cast, cast.branch_a, cast.staff_a)
    two = _register(cast, cast.branch_b, cast.staff_b)
    url = reverse("candidates:person_merge")
    data = {
        "keep": one.person.national_number,
        "absorb": str(two.person.pk),
        "reason": "Doublon",
    }
    assert client.post(url, data).status_code == 302  # to the login page
    client.force_login(cast.staff_a)
    assert client.post(url, data).status_code == 403
    assert client.get(url).status_code == 403
    client.force_login(cast.admin)
    assert client.get(url).status_code == 200
    assert client.post(url, {**data, "absorb": "P-9999999"}).status_code == 200
    assert client.post(url, data).status_code == 302
    two.person.refresh_from_db()
    assert two.person.merged_into_id == one.person.pk


def test_only_the_holder_absorbs_a_person_on_a_claim(cast: Any) -> None:
    from tests.factories import PersonFactory

    keep, absorb = cast.candidate.person, PersonFactory.create()
    for someone in (cast.other_candidate_user, cast.staff_a, cast.admin):
        with pytest.raises(PermissionDenied):
            services.person_absorb_on_claim(keep=keep, absorb=absorb, by=someone, reason="x")
    services.person_absorb_on_claim(
        keep=keep, absorb=absorb, by=cast.candidate_user, reason="Revendiqué."
    )
    absorb.refresh_from_db()
    assert absorb.merged_into_id == keep.pk
    assert PersonEvent.objects.filter(person=absorb, action=PersonAction.MERGED_AWAY).exists()
    assert AuditEvent.objects.get(action="person.claim_merge").actor_id == cast.candidate_user.pk


def test_persons_of_historic_holders_are_created_in_bulk_with_their_events(cast: Any) -> None:
    identity: dict[str, Any] = {
        "last_name": "Écroubert",
        "first_name": "Léa",
        "birth_date": datetime.date(1980, 3, 14),
        "birth_place": "Lille",
    }
    key = normalised_identity(**identity).key
    ids = services.persons_create_for_records(
        identities=[identity | {"identity_key": key}, identity | {"identity_key": key}],
        by=cast.staff_a,
    )
    persons = Person.objects.filter(pk__in=ids)
    assert len(ids) == 2 and persons.count() == 2
    for person in persons:
        assert person.identity_key == person.identity().key == key
        assert person.birth_date == datetime.date(1980, 3, 14) and person.created_at
        event = person.events.get()
        assert (event.action, event.by_id) == (PersonAction.CREATED, cast.staff_a.pk)
