"""Every action the code records has a French label on the trail's page, never a raw code."""

from __future__ import annotations

import re
from pathlib import Path

from audit.labels import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "audit",
    "branches",
    "candidates",
    "certifications",
    "core",
    "cqpi",
    "evaluations",
    "figures",
    "privacy",
)
# The action is audit_record's first argument, on its line or the next.
RECORDED = re.compile(r"audit_record\(\s*\"(?P<action>[a-z_]+\.[a-z_]+)\"", re.MULTILINE)


def recorded_actions() -> set[str]:
    actions: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            actions.update(m["action"] for m in RECORDED.finditer(path.read_text()))
    return actions


def test_the_scan_finds_the_actions_the_code_records():
    actions = recorded_actions()
    assert {"dossier.transition", "api.token_created", "auth.login"} <= actions


def test_every_recorded_action_has_a_label():
    assert sorted(recorded_actions() - ACTION_LABELS.keys()) == []


def test_an_unknown_action_shows_its_code():
    assert action_label("nothing.known") == "nothing.known"
