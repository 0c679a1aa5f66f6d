"""The layer rule beyond imports: no room reaches a room above it through `apps.get_model`.

import-linter (make check) sees imports only; a model fetched by name from the app registry
would tie two rooms just as well without it noticing. A lower room follows the relations a
higher room declares onto it (`dossier.evaluations`) instead.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GET_MODEL = re.compile(r"""get_model\(\s*["'](?P<label>[a-z_]+)[."']""")


def layer_ranks(root: Path = ROOT) -> dict[str, int]:
    """Each room's floor in the layers contract of pyproject.toml: 0 at the top."""
    config = tomllib.loads((root / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    ranks: dict[str, int] = {}
    for floor, layer in enumerate(contract["layers"]):
        for room in re.split(r"[|:]", layer):
            ranks[room.strip(" ()")] = floor
    return ranks


def upward_lookups(ranks: dict[str, int], root: Path = ROOT) -> list[str]:
    """`file:line room -> label` for every get_model of a room above the file's own."""
    found = []
    for room, floor in ranks.items():
        for path in sorted((root / room).rglob("*.py")) if (root / room).is_dir() else []:
            if "migrations" in path.parts:
                continue  # historical models, each migration in its own app's past
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                for match in GET_MODEL.finditer(line):
                    label = match["label"]
                    if label in ranks and ranks[label] < floor:
                        found.append(f"{path.relative_to(root)}:{number} {room} -> {label}")
    return found


def test_the_layers_are_read_from_the_contract():
    ranks = layer_ranks()
    assert ranks["core"] > ranks["branches"] > ranks["candidates"] > ranks["evaluations"]
    assert ranks["certifications"] == ranks["accounts"]


def test_no_room_fetches_a_model_of_a_room_above_it():
    assert upward_lookups(layer_ranks()) == []


def test_an_upward_lookup_would_be_found(tmp_path):
    room = tmp_path / "branches"
    room.mkdir()
    (room / "sneaky.py").write_text('Dossier = apps.get_model("candidates", "Dossier")\n')
    (room / "fine.py").write_text('Company = apps.get_model("branches", "Company")\n')
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    assert upward_lookups(layer_ranks(tmp_path), tmp_path) == [
        "branches/sneaky.py:1 branches -> candidates"
    ]
