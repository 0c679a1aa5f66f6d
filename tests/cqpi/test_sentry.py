"""Sentry: started only when SENTRY_DSN is set, never sends personal data (no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings

from cqpi import sentry

FAKE_DSN = "https://public@sentry.invalid/1"

# Run in a child: Sentry's integrations patch Django and Celery for the whole process.
PROBE = textwrap.dedent(
    """
    import json, os, sys
    import sentry_sdk
    from sentry_sdk.transport import Transport

    sent = []

    class Recording(Transport):
        def capture_envelope(self, envelope):
            for item in envelope.items:
                if item.payload.json is not None:
                    sent.append(item.payload.json)

    import cqpi.sentry
    real_init = sentry_sdk.init
    # The settings call cqpi.sentry.init; give it a transport that records, not the network.
    sentry_sdk.init = lambda **kw: real_init(transport=Recording, **kw)

    import django
    django.setup()
    active = sentry_sdk.get_client().is_active()
    options = sentry_sdk.get_client().options if active else {}
    if active:
        sentry_sdk.set_user({"email": "jean.dupont@example.org", "id": 7})
        try:
            raise ValueError("no dossier for jean.dupont@example.org")
        except ValueError:
            sentry_sdk.capture_exception()
        with sentry_sdk.new_scope() as scope:
            scope.set_extra("candidate", {"first_name": "Jean", "last_name": "Dupont", "n": 3})
            sentry_sdk.capture_message("import finished for marie@example.com")
        sentry_sdk.flush(timeout=5)
    print(json.dumps({
        "active": active,
        "send_default_pii": options.get("send_default_pii"),
        "events": sent,
    }))
    """
)


def probe(**environ: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(DJANGO_SETTINGS_MODULE="cqpi.settings.test", **environ)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_sentry_stays_off_without_a_dsn() -> None:
    assert probe() == {"active": False, "send_default_pii": None, "events": []}


def test_sentry_starts_with_a_dsn_and_scrubs_personal_data() -> None:
    report = probe(SENTRY_DSN=FAKE_DSN)

    assert report["active"] is True
    assert report["send_default_pii"] is False
    events = report["events"]
    assert isinstance(events, list) and len(events) == 2
    text = json.dumps(events)
    for personal in ("jean.dupont@example.org", "marie@example.com", "Jean", "Dupont"):
        assert personal not in text
    assert "no dossier for [filtered]" in text
    assert "import finished for [filtered]" in text
    assert all("user" not in event for event in events)
    assert '"n": 3' in text  # what is not personal is kept


def test_scrub_keeps_structure_and_filters_personal_keys() -> None:
    assert sentry.scrub(
        {"request": {"headers": {"Cookie": "sessionid=x", "Accept": "text/html"}}, "tags": [1]}
    ) == {"request": {"headers": {"Cookie": "[filtered]", "Accept": "text/html"}}, "tags": [1]}
    assert sentry.init("") is False
