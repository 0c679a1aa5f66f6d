"""url_maker writes exactly the URLs reverse() would, for one or several ids."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix
from django.utils import translation

from core.reversing import url_maker


@pytest.mark.parametrize("pk", [1, 7, 42, 123_456_789])
def test_one_id_gives_the_url_reverse_gives(pk: int) -> None:
    make = url_maker("candidates:dossier_detail")

    assert make(pk) == reverse("candidates:dossier_detail", args=[pk])


@pytest.mark.parametrize(("session", "dossier"), [(1, 2), (35, 35), (9, 100_000)])
def test_two_ids_go_in_their_own_places(session: int, dossier: int) -> None:
    make = url_maker("evaluations:decision_record", 2)

    assert make(session, dossier) == reverse("evaluations:decision_record", args=[session, dossier])


def test_the_url_is_the_same_in_english() -> None:
    with translation.override("en"):
        assert url_maker("candidates:dossier_detail")(5) == reverse(
            "candidates:dossier_detail", args=[5]
        )


def test_the_script_prefix_is_kept() -> None:
    saved = get_script_prefix()
    set_script_prefix("/cqpi/")
    try:
        assert url_maker("candidates:dossier_detail")(3) == reverse(
            "candidates:dossier_detail", args=[3]
        )
        assert url_maker("candidates:dossier_detail")(3).startswith("/cqpi/")
    finally:
        set_script_prefix(saved)


def test_only_integer_ids_are_written() -> None:
    make = url_maker("candidates:dossier_detail")

    assert make("12") == reverse("candidates:dossier_detail", args=[12])
    with pytest.raises(ValueError):
        make("12/../../admin")
    with pytest.raises(ValueError):
        make(-1)
    with pytest.raises(TypeError):
        make(1, 2)


def test_a_view_that_takes_no_such_ids_is_refused_when_the_maker_is_built() -> None:
    with pytest.raises(NoReverseMatch):
        url_maker("candidates:dossier_list")
    with pytest.raises(ValueError):
        url_maker("candidates:dossier_detail", 0)
