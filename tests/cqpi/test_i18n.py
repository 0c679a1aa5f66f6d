"""The interface speaks French by default and complete English on request."""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.signals import setting_changed
from django.urls import reverse
from django.utils import translation

from candidates.models import DossierStatus
from tests.workflow import open_dossier

EN_PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|</?\w+>")


@pytest.fixture(scope="module")
def compiled_english_catalogue() -> None:
    """Compile the English catalogue when its .mo (not committed) is missing or stale.

    Only the tests that render English use it, so that a catalogue msgfmt refuses still
    gets its entries reported by the catalogue tests below.
    """
    if EN_MO.exists() and EN_MO.stat().st_mtime >= EN_PO.stat().st_mtime:
        return
    # compilemessages walks the current directory: run it from the project, outside the venv.
    with contextlib.chdir(settings.BASE_DIR):
        call_command(
            "compilemessages", locale=["en"], ignore_patterns=[".venv", "var"], verbosity=0
        )
    # A catalogue read before the compilation stays cached in the process: forget it, as
    # Django's own tests do when LOCALE_PATHS changes.
    setting_changed.send(
        sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def parse_po(path: Path) -> list[Entry]:
    """Read a .po file's entries (header included) with just enough of the format for checks."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, target = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            if entry.msgid or entry.msgstr:
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"continuation line outside an entry: {raw}"
            append(entry, target, ast.literal_eval(line))
        else:
            keyword, _, value = line.partition(" ")
            if keyword == "msgid" and (entry.msgid or entry.msgstr):
                finish()
            index = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            target = ("msgstr", int(index.group(1))) if index else (keyword, 0)
            append(entry, target, ast.literal_eval(value))
    finish()
    return [entry for entry in entries if not entry.obsolete]


def append(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = entry.msgstr.get(index, "") + text
    elif name in {"msgid", "msgid_plural"}:
        setattr(entry, name, getattr(entry, name) + text)
    elif name != "msgctxt":
        raise AssertionError(f"unexpected keyword {name!r} in {EN_PO}")


def english_entries() -> Iterator[Entry]:
    return (entry for entry in parse_po(EN_PO) if entry.msgid)


@pytest.mark.usefixtures("compiled_english_catalogue")
def test_pages_speak_french_by_default(client: Any, db: Any) -> None:
    response = client.get(reverse("accounts:login"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Mot de passe" in page
    assert "Password" not in page


@pytest.mark.usefixtures("compiled_english_catalogue")
def test_a_browser_asking_for_english_gets_english(client: Any, db: Any) -> None:
    response = client.get(reverse("accounts:login"), headers={"accept-language": "en"})

    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Password" in page
    assert "Log in" in page
    assert "Mot de passe" not in page


@pytest.mark.usefixtures("compiled_english_catalogue")
def test_choosing_english_through_set_language_switches_the_page(client: Any, db: Any) -> None:
    login = reverse("accounts:login")

    switch = client.post(reverse("set_language"), {"language": "en", "next": login})
    response = client.get(login)

    assert switch.status_code == 302
    assert switch["Location"] == login
    page = response.content.decode()
    assert "Password" in page
    assert "Mot de passe" not in page


@pytest.mark.usefixtures("compiled_english_catalogue")
def test_a_page_behind_login_speaks_english_after_switching(client: Any, cast: Any) -> None:
    open_dossier(cast)
    client.force_login(cast.staff_a)
    client.post(reverse("set_language"), {"language": "en"})

    response = client.get(reverse("candidates:dossier_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Open a case" in page
    assert re.search(r"\b1 case\b", page)
    assert re.search(r'<span class="badge[^"]*">Open</span>', page)  # the dossier's status
    assert "Ouvrir un dossier" not in page
    assert "Dossiers de la branche" not in page


@pytest.mark.usefixtures("compiled_english_catalogue")
def test_model_choice_labels_are_translated() -> None:
    with translation.override("en"):
        english = str(DossierStatus.READY_FOR_JURY.label)
    with translation.override("fr"):
        french = str(DossierStatus.READY_FOR_JURY.label)

    assert english == "Ready for the jury"
    assert french == "Prêt pour le jury"


def test_every_french_string_has_an_english_translation() -> None:
    untranslated = [
        entry.msgid
        for entry in english_entries()
        if not entry.msgstr or not all(text.strip() for text in entry.msgstr.values())
    ]

    assert not untranslated, (
        f"{len(untranslated)} string(s) untranslated in {EN_PO}:\n" + "\n".join(untranslated)
    )


def test_no_english_translation_is_fuzzy() -> None:
    fuzzy = [entry.msgid for entry in parse_po(EN_PO) if "fuzzy" in entry.flags]

    assert not fuzzy, f"fuzzy entries in {EN_PO} (review, then drop the flag):\n" + "\n".join(
        repr(msgid) for msgid in fuzzy
    )


def test_english_translations_keep_the_placeholders_and_tags() -> None:
    def marks(text: str) -> list[str]:
        return sorted(PLACEHOLDER.findall(text))

    broken = [
        f"{entry.msgid!r} -> {text!r}"
        for entry in english_entries()
        for index, text in entry.msgstr.items()
        if text and marks(text) != marks(entry.msgid_plural if index else entry.msgid)
    ]

    assert not broken, "placeholders or tags differ:\n" + "\n".join(broken)


def test_plural_forms_are_declared_for_english() -> None:
    header = next(entry for entry in parse_po(EN_PO) if entry.msgid == "")

    assert "Language: en\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


FR_PO = EN_PO.parent.parent.parent / "fr" / "LC_MESSAGES" / "django.po"


def test_every_french_plural_is_filled_so_that_zero_takes_the_singular() -> None:
    """Without a French msgstr, gettext falls back to its own rule (n != 1) and writes
    "0 dossiers"; filled, French's (n > 1) applies: "0 dossier"."""
    empty = [
        entry.msgid
        for entry in parse_po(FR_PO)
        if entry.msgid_plural and not all(entry.msgstr.get(i) for i in (0, 1))
    ]

    assert not empty, f"French plurals without their forms in {FR_PO}:\n" + "\n".join(empty)


def test_zero_takes_the_singular_in_french() -> None:
    with translation.override("fr"):
        text = translation.ngettext(
            "%(counter)s ligne en erreur", "%(counter)s lignes en erreur", 0
        ) % {"counter": 0}

    assert text == "0 ligne en erreur"
