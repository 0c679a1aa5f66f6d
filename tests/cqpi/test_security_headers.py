"""Web security headers, a CSP the templates can live with, CSRF everywhere, HSTS in production."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.cqpi.test_production_settings import production_env

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered by WeasyPrint into PDFs, or sent as email: never served to a browser under our CSP.
# (Mail clients drop <style> blocks and external sheets, so emails carry inline styles.)
NOT_SERVED = {"certifications/certificate_pdf.html", "evaluations/minutes_pdf.html"}
NOT_SERVED_DIRS = ("emails/",)

INLINE = {
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "a <style> block": re.compile(r"<style[\s>]", re.I),
    "an inline <script>": re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>", re.I),
    "an event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def served_templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (rel := path.relative_to(TEMPLATES).as_posix()) not in NOT_SERVED
        and not rel.startswith(NOT_SERVED_DIRS)
    ]


def test_the_scan_reads_the_served_templates() -> None:
    names = {p.relative_to(TEMPLATES).as_posix() for p in served_templates()}

    assert {"base.html", "registration/login.html", "accounts/two_factor_setup.html"} <= names
    assert not names & NOT_SERVED


@pytest.mark.parametrize("kind", sorted(INLINE))
def test_no_served_template_has_inline_code(kind: str) -> None:
    offenders = []
    for path in served_templates():
        text = path.read_text(encoding="utf-8")
        for match in INLINE[kind].finditer(text):
            line = text[: match.start()].count("\n") + 1
            offenders.append(f"{path.relative_to(TEMPLATES)}:{line}")

    assert not offenders, f"{kind} would be blocked by the CSP: {offenders}"


@pytest.mark.parametrize("kind", sorted(INLINE))
def test_the_scan_catches_each_kind_of_inline_code(kind: str) -> None:
    samples = {
        "a style attribute": '<p style="color: red">',
        "a <style> block": "<style>p {}</style>",
        "an inline <script>": "<script>alert(1)</script>",
        "an event handler attribute": '<button onclick="go()">',
        "a javascript: URL": '<a href="javascript:go()">',
    }

    assert INLINE[kind].search(samples[kind])
    assert not INLINE[kind].search('<script src="/static/js/grid.js" defer></script>')


@pytest.mark.django_db
def test_pages_carry_the_csp_and_the_other_headers(client: Any) -> None:
    response = client.get(reverse("accounts:login"))

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_signed_in_page_carries_the_headers_too(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:dossier_list"))

    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_session_cookie_is_http_only_and_same_site(client: Any, cast: Any) -> None:
    response = client.post(
        reverse("accounts:login"),
        {"username": "staff.a@example.test", "password": "secret-password-123"},
    )

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_a_login_post_without_the_csrf_token_is_refused(cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("accounts:login"),
        {"username": "staff.a@example.test", "password": "secret-password-123"},
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_signed_in_post_without_the_csrf_token_is_refused(cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.staff_a)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(cast.staff_a.pk)


@pytest.mark.django_db
def test_a_post_with_the_csrf_token_goes_through(cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.staff_a)
    client.get(reverse("candidates:dossier_list"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token})

    assert response.status_code == 302


PROBE = """
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory
from django.conf import settings

request = RequestFactory().get("/", secure=True, HTTP_HOST="cqpi.example.org")
response = SecurityMiddleware(lambda r: HttpResponse())(request)
print("HSTS=" + response.get("Strict-Transport-Security", ""))
plain = RequestFactory().get("/", HTTP_HOST="cqpi.example.org")
print("REDIRECT=" + SecurityMiddleware(lambda r: HttpResponse())(plain).get("Location", ""))
print("SECURE_COOKIES=%s,%s" % (settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE))
"""


def test_production_sends_hsts_and_redirects_to_https(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines["HSTS"] == "max-age=31536000; includeSubDomains; preload"
    assert lines["REDIRECT"] == "https://cqpi.example.org/"
    assert lines["SECURE_COOKIES"] == "True,True"
