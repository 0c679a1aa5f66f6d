"""The README's table of demo accounts says what the demo data really creates."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from sampledata.demo import DEMO_ACCOUNTS


def readme_demo_accounts() -> list[dict[str, str]]:
    text = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    section = text.split("## Comptes de démonstration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    accounts = []
    for row in rows:
        email, password, role = (cell.strip().strip("`") for cell in row.strip("|").split("|"))
        accounts.append({"email": email, "password": password, "role": role})
    return accounts


def test_the_readme_lists_exactly_the_demo_accounts() -> None:
    assert readme_demo_accounts() == DEMO_ACCOUNTS
