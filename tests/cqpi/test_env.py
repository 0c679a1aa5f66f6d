"""The typed environment readers behind every setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cqpi.settings.env import env_bool, env_int, env_list, env_required, env_str


@pytest.fixture(autouse=True)
def clean_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CQPI_T", "CQPI_T_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on", " ON "])
def test_env_bool_reads_true_words(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CQPI_T", value)

    assert env_bool("CQPI_T", False) is True


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_env_bool_reads_false_words(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CQPI_T", value)

    assert env_bool("CQPI_T", True) is False


def test_env_bool_returns_the_default_when_unset() -> None:
    assert env_bool("CQPI_T", True) is True


def test_env_bool_refuses_an_unknown_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CQPI_T", "maybe")

    with pytest.raises(ImproperlyConfigured, match="CQPI_T must be a boolean"):
        env_bool("CQPI_T", False)


def test_env_int_reads_an_integer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CQPI_T", "42")

    assert env_int("CQPI_T", 7) == 42


def test_env_int_returns_the_default_when_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CQPI_T", "")

    assert env_int("CQPI_T", 7) == 7


def test_env_int_refuses_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CQPI_T", "ten")

    with pytest.raises(ImproperlyConfigured, match="CQPI_T must be an integer"):
        env_int("CQPI_T", 7)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CQPI_T", " a.example , b.example,, ")

    assert env_list("CQPI_T", []) == ["a.example", "b.example"]


def test_env_str_reads_a_secret_from_name_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n", encoding="utf-8")
    monkeypatch.setenv("CQPI_T_FILE", str(secret))

    assert env_str("CQPI_T") == "s3cr3t"


def test_env_str_prefers_the_variable_to_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file", encoding="utf-8")
    monkeypatch.setenv("CQPI_T_FILE", str(secret))
    monkeypatch.setenv("CQPI_T", "from-variable")

    assert env_str("CQPI_T") == "from-variable"


def test_env_str_refuses_an_unreadable_name_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CQPI_T_FILE", str(tmp_path / "missing"))

    with pytest.raises(ImproperlyConfigured, match="CQPI_T_FILE"):
        env_str("CQPI_T")


def test_env_required_refuses_an_empty_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CQPI_T", "")

    with pytest.raises(ImproperlyConfigured, match="CQPI_T is required"):
        env_required("CQPI_T")
