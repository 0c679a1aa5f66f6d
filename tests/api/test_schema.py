"""The OpenAPI schema validates without a warning; the docs page loads only same-origin assets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command


def test_the_schema_validates_without_any_warning(tmp_path: Path, db: Any) -> None:
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/dossiers/bulk/" in target.read_text()


@pytest.mark.django_db
def test_the_schema_is_served_to_anyone(client: Any) -> None:
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "CQPI API"


@pytest.mark.django_db
def test_the_docs_page_uses_only_same_origin_scripts_and_styles(client: Any) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    # No inline script: the CSP allows none; the init script is a separate request.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    init = next(a for a in assets if "script=" in a or a.endswith("?script="))
    assert client.get(init).status_code == 200
