"""The status badge, written in Python, gives exactly the markup of its template."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils.translation import override

from candidates.models import DossierStatus
from candidates.templatetags.dossiers import status_badge


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("status", DossierStatus.values)
def test_the_status_badge_writes_the_status_templates_markup(status: str, language: str) -> None:
    with override(language):
        expected = render_to_string(
            "candidates/_status.html", {"status": status, "label": DossierStatus(status).label}
        ).strip()

        assert status_badge(status) == expected
