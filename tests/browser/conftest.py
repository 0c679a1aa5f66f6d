"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

# Playwright's sync API keeps an event loop running in the main thread for the whole
# session, and Django refuses ORM calls while a loop runs there. The tests are
# synchronous and the live server answers from its own thread, so the check guards
# nothing here. Set on import of this conftest, i.e. only when browser tests are
# collected; the session-scoped loop outlives them, so it cannot be narrower.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "secret-password-123"  # tests.factories.UserFactory's password


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's defaults, on Debian's Chromium, offline (it downloads no browser)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "fr-FR", "accept_downloads": True}


@pytest.fixture
def live_cast(transactional_db: None, live_server: Any, cast: Any, settings: Any, tmp_path: Path):
    """The fixed cast, committed for real so the live server's thread sees it.

    The certificate's QR code and links point at the live server, and rendered PDFs
    go to a temporary folder. Celery runs eagerly on commit (test settings): a decision
    recorded through the browser renders its PDF before the response is sent.
    """
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    return cast


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under test-artifacts/screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(live_server: Any) -> Callable[[Any, Any], None]:
    """Log a user in through the login page, as a person would."""

    def do(page: Any, user: Any) -> None:
        page.context.clear_cookies()
        page.goto(live_server.url + reverse("accounts:login"))
        page.get_by_label("Adresse e-mail").fill(user.email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter").click()
        assert reverse("accounts:login") not in page.url, f"login failed for {user.email}"

    return do
